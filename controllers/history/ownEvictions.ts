// Uids of pods the migrator is evicting, so the observer does not record them a second time as
// someone else's eviction. Bounded: the oldest are forgotten first.

export class OwnEvictions {
  private readonly uids = new Set<string>();

  constructor(private readonly capacity = 10_000) {}

  add(uid: string): void {
    if (!uid) return;
    this.uids.delete(uid);
    this.uids.add(uid);
    while (this.uids.size > this.capacity) this.uids.delete(this.uids.values().next().value!);
  }

  has(uid: string): boolean {
    return this.uids.has(uid);
  }
}
