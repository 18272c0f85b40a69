// Which stored objects name which owner (by uid): the garbage collector's graph, kept current
// from the storage event stream so finding an owner's dependents never scans the store.
export class OwnerIndex {
  private readonly byOwner = new Map<string, Set<string>>();
  private readonly byKey = new Map<string, string[]>();

  /** Records the owner uids of the object at `key` (empty list or undefined: none). */
  set(key: string, ownerUids: string[] | undefined): void {
    this.remove(key);
    if (!ownerUids?.length) return;
    this.byKey.set(key, ownerUids);
    for (const uid of ownerUids) {
      let keys = this.byOwner.get(uid);
      if (!keys) this.byOwner.set(uid, (keys = new Set()));
      keys.add(key);
    }
  }

  remove(key: string): void {
    for (const uid of this.byKey.get(key) ?? []) {
      const keys = this.byOwner.get(uid);
      keys?.delete(key);
      if (keys && !keys.size) this.byOwner.delete(uid);
    }
    this.byKey.delete(key);
  }

  dependents(ownerUid: string): string[] {
    return [...(this.byOwner.get(ownerUid) ?? [])];
  }
}
