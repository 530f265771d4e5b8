import { expect } from 'chai';
import { silentLogger } from '../../../webhook/log.js';
import { ConfigMapHistoryStore, HistoryConflict, MemoryHistoryStore, type HistorySlot, type StoredHistory } from '../../../controllers/history/historyStore.js';
import { parseHistory } from '../../../controllers/history/historyBuffer.js';
import { record } from './historyFixtures.js';

/** A ConfigMap with the apiserver's optimistic concurrency: writes must name the current version. */
class FakeConfigMap implements HistorySlot {
  stored: StoredHistory | undefined;
  writes = 0;
  /** Called before each write lands: lets a test slip in a concurrent writer. */
  beforeWrite: (() => void) | undefined;

  read(): Promise<StoredHistory | undefined> {
    return Promise.resolve(this.stored ? { ...this.stored } : undefined);
  }

  create(text: string): Promise<void> {
    this.beforeWrite?.();
    if (this.stored) return Promise.reject(new HistoryConflict('exists'));
    this.stored = { text, resourceVersion: '1' };
    this.writes += 1;
    return Promise.resolve();
  }

  replace(text: string, resourceVersion: string): Promise<void> {
    this.beforeWrite?.();
    if (!this.stored || this.stored.resourceVersion !== resourceVersion) return Promise.reject(new HistoryConflict('stale'));
    this.stored = { text, resourceVersion: String(Number(resourceVersion) + 1) };
    this.writes += 1;
    return Promise.resolve();
  }

  /** Someone else's write. */
  foreignAppend(line: string): void {
    const current = this.stored ?? { text: '', resourceVersion: '0' };
    this.stored = { text: `${current.text ?? ''}${line}\n`, resourceVersion: String(Number(current.resourceVersion) + 1) };
  }
}

describe('ConfigMap history store', () => {
  it('creates the ConfigMap on first append and reads it back', async () => {
    const cm = new FakeConfigMap();
    const store = new ConfigMapHistoryStore(cm, { log: silentLogger });
    await store.append([record(1)]);
    await store.append([record(2)]);
    expect((await store.read()).map((r) => r.pod)).to.deep.equal(['web-1', 'web-2']);
    expect(cm.stored?.resourceVersion).to.equal('2');
  });

  it('redoes its read-modify-write when someone else wrote in between, keeping both writes', async () => {
    const cm = new FakeConfigMap();
    const store = new ConfigMapHistoryStore(cm, { log: silentLogger });
    await store.append([record(1)]);
    let interfered = 0;
    cm.beforeWrite = () => {
      if (interfered++ === 0) cm.foreignAppend(JSON.stringify(record(9)));
    };
    await store.append([record(2)]);
    expect(parseHistory(cm.stored?.text).map((r) => r.pod)).to.deep.equal(['web-1', 'web-9', 'web-2']);
    expect(interfered).to.equal(2);
  });

  it('gives up after maxAttempts conflicts and says so', async () => {
    const cm = new FakeConfigMap();
    const store = new ConfigMapHistoryStore(cm, { log: silentLogger, maxAttempts: 3 });
    await store.append([record(1)]);
    let tries = 0;
    cm.beforeWrite = () => {
      tries += 1;
      cm.foreignAppend(JSON.stringify(record(100 + tries)));
    };
    let failure: unknown;
    await store.append([record(2)]).catch((err: unknown) => (failure = err));
    expect(failure).to.be.instanceOf(HistoryConflict);
    expect(tries).to.equal(3);
    cm.beforeWrite = undefined;
    await store.append([record(3)]); // the store still works afterwards
    expect(parseHistory(cm.stored?.text).map((r) => r.pod).slice(-1)).to.deep.equal(['web-3']);
  });

  it('serializes its own concurrent writes instead of fighting over the version', async () => {
    const cm = new FakeConfigMap();
    const store = new ConfigMapHistoryStore(cm, { log: silentLogger, maxAttempts: 1 });
    await Promise.all([1, 2, 3, 4, 5].map((i) => store.append([record(i)])));
    expect((await store.read()).map((r) => r.pod)).to.deep.equal(['web-1', 'web-2', 'web-3', 'web-4', 'web-5']);
    expect(cm.writes).to.equal(5);
  });

  it('bounds what it writes, and writes nothing when an update changes nothing', async () => {
    const cm = new FakeConfigMap();
    const store = new ConfigMapHistoryStore(cm, { log: silentLogger, limits: { maxRecords: 3, maxBytes: 1_000_000 } });
    await store.append([1, 2, 3, 4, 5].map((i) => record(i)));
    expect((await store.read()).map((r) => r.pod)).to.deep.equal(['web-3', 'web-4', 'web-5']);
    expect(await store.update(() => undefined)).to.equal(false);
    expect(cm.writes).to.equal(1);
  });

  it('survives a corrupt ConfigMap: reads as empty, and the next append replaces it', async () => {
    const cm = new FakeConfigMap();
    cm.stored = { text: 'not json at all', resourceVersion: '7' };
    const store = new ConfigMapHistoryStore(cm, { log: silentLogger });
    expect(await store.read()).to.deep.equal([]);
    await store.append([record(1)]);
    expect((await store.read()).map((r) => r.pod)).to.deep.equal(['web-1']);
  });
});

describe('memory history store', () => {
  it('behaves like the ConfigMap store without a cluster', async () => {
    const store = new MemoryHistoryStore({ maxRecords: 2, maxBytes: 1_000_000 });
    await store.append([record(1), record(2), record(3)]);
    expect((await store.read()).map((r) => r.pod)).to.deep.equal(['web-2', 'web-3']);
  });
});
