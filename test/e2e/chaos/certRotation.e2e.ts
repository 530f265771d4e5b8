// Fault: the serving certificate is replaced on disk (as a Secret volume update or cert-manager
// renewal does) while the apiserver keeps creating pods. The webhook must pick up the new
// certificate without a restart, and no admission call may fail meanwhile: every pod is steered.
import { expect } from 'chai';
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { sleep, waitFor } from '../harness/wait.js';
import { useWebhookCluster } from '../webhook/webhookCluster.js';
import { establishedTo } from './connections.js';
import { expectAllKeptAndBound, latencySummary, PodLoad } from './podLoad.js';
import { pod } from '../webhook/podHelpers.js';
import { DECISION } from '../webhook/webhookConfigs.js';

const NS = 'chaos-rotate';

/** Serial number of the certificate a new TLS handshake with the webhook is given. */
function servedSerial(port: number, ca: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, ca, servername: 'localhost' }, () => {
      const serial = socket.getPeerCertificate().serialNumber;
      socket.end();
      resolve(serial.toUpperCase());
    });
    socket.on('error', reject);
  });
}

/** Each file through a rename, key first, as kubelet's atomic Secret writer swaps them. */
function replaceFiles(dir: string, certPem: string, keyPem: string): void {
  for (const [name, text] of [['tls.key', keyPem], ['tls.crt', certPem]] as const) {
    writeFileSync(join(dir, `${name}.new`), text, { mode: 0o600 });
    renameSync(join(dir, `${name}.new`), join(dir, name));
  }
}

describe('chaos: the serving certificate is rotated under pod-creation load', function () {

  const getCluster = useWebhookCluster(NS, { timeoutSeconds: 2 });

  it('serves the new certificate without a restart, and every pod created meanwhile is steered', async function () {
    this.timeout(180_000);
    const cluster = getCluster();
    const wh = cluster.webhook;
    const oldSerial = await servedSerial(wh.port, wh.caPem);
    const load = PodLoad.start(cluster.core, NS, { workers: 3, pauseMs: 150 });
    await sleep(3000);
    const next = cluster.cp.ca.issue({ commonName: 'carbon-kube-e2e-webhook', usage: 'server', hosts: ['127.0.0.1', 'localhost'] });
    const newSerial = new X509Certificate(next.certPem).serialNumber.toUpperCase();
    const rotatedAt = load.elapsed();
    replaceFiles(wh.dir, next.certPem, next.keyPem);
    // The reloader polls the files every 10 s.
    await waitFor('the webhook to serve the new certificate', async () => (await servedSerial(wh.port, wh.caPem)) === newSerial, 30_000, 250);
    const servedAfterMs = load.elapsed() - rotatedAt;
    // The apiserver keeps its connections alive; a burst makes it open new ones, which get the new certificate.
    const kept = establishedTo(wh.port);
    const burst = await Promise.all(
      Array.from({ length: 24 }, (_, i) => cluster.core.createNamespacedPod({ namespace: NS, body: pod(`burst-${i}`, { cpu: '10m' }) }).then((p) => p.metadata?.annotations?.[DECISION] !== undefined)),
    );
    const opened = [...establishedTo(wh.port)].filter((r) => !kept.has(r)).length;
    await sleep(3000);
    const outcomes = await load.stop();

    const lat = latencySummary(outcomes);
    const unsteered = outcomes.filter((o) => o.created && !o.steered);
    console.log(
      `      serial ${oldSerial} -> ${newSerial}, served ${Math.round(servedAfterMs)} ms after the files changed; ` +
        `${outcomes.length} creates, ${outcomes.filter((o) => !o.created).length} failed, ${unsteered.length} not steered; p99 ${lat.p99.toFixed(0)} ms, max ${lat.max.toFixed(0)} ms; ` +
        `burst of ${burst.length}: ${burst.filter(Boolean).length} steered over ${opened} connections opened after the rotation`,
    );
    expect(burst.every(Boolean), 'every pod of the burst steered').to.equal(true);
    expect(opened, 'the apiserver opened connections after the rotation').to.be.greaterThan(0);
    expect(newSerial).to.not.equal(oldSerial);
    expect(outcomes.filter((o) => !o.created).map((o) => o.error)).to.deep.equal([]);
    // A failed webhook call would have been ignored (failurePolicy Ignore) and left the pod unsteered.
    expect(unsteered.map((o) => o.name)).to.deep.equal([]);
    expect(outcomes.filter((o) => o.sentAt > rotatedAt).length).to.be.greaterThan(10);
    expect(wh.logTail(200)).to.contain('serving certificate reloaded');
    await expectAllKeptAndBound(cluster.core, NS, [...outcomes, ...burst.map((_, i) => ({ name: `burst-${i}`, created: true, ms: 0, sentAt: 0, steered: true }))]);
  });
});
