// A key's concurrency limit, applied in this process before the request body
// is read. The limiter (memory or Redis) admits a request only after its body
// names a model; without this gate a key could hold any number of connections
// open by sending its body slowly. A request holds its slot until it ends, so
// this process never has more of the key's requests open than the limit; the
// store still enforces the limit across replicas.

import type { ClientKey } from '../config/snapshot.ts';

export class LocalConcurrency {
  private readonly open = new Map<string, number>();

  /** Takes a slot for the key; false when it already has `concurrency` requests open here. */
  enter(key: ClientKey): boolean {
    const limit = key.limits.concurrency;
    if (limit === undefined) return true;
    const count = this.open.get(key.name) ?? 0;
    if (count >= limit) return false;
    this.open.set(key.name, count + 1);
    return true;
  }

  /** Gives back a slot taken by enter(); call once per successful enter. */
  leave(key: ClientKey): void {
    if (key.limits.concurrency === undefined) return;
    const count = (this.open.get(key.name) ?? 1) - 1;
    if (count <= 0) this.open.delete(key.name);
    else this.open.set(key.name, count);
  }

  /** Requests of the key open in this process (tests, diagnostics). */
  openFor(name: string): number {
    return this.open.get(name) ?? 0;
  }
}
