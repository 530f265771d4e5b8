// A binary min-heap keyed by time; equal times come out in insertion order.

interface Entry<T> {
  at: number;
  seq: number;
  value: T;
}

export class MinHeap<T> {
  private readonly items: Entry<T>[] = [];
  private seq = 0;

  get size(): number {
    return this.items.length;
  }

  peekTime(): number {
    return this.items.length > 0 ? this.items[0]!.at : Infinity;
  }

  push(at: number, value: T): void {
    const items = this.items;
    items.push({ at, seq: this.seq++, value });
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(items[i]!, items[parent]!)) break;
      [items[i], items[parent]] = [items[parent]!, items[i]!];
      i = parent;
    }
  }

  pop(): T | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (top === undefined || last === undefined) return undefined;
    if (items.length > 0) {
      items[0] = last;
      this.siftDown();
    }
    return top.value;
  }

  private siftDown(): void {
    const items = this.items;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < items.length && before(items[l]!, items[m]!)) m = l;
      if (r < items.length && before(items[r]!, items[m]!)) m = r;
      if (m === i) return;
      [items[i], items[m]] = [items[m]!, items[i]!];
      i = m;
    }
  }
}

function before<T>(a: Entry<T>, b: Entry<T>): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}
