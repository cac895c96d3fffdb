// Holds the current Snapshot behind one reference. A swap replaces the whole
// config at once (never subsystem by subsystem); a request that took the old
// snapshot keeps it to its end. Also keeps the last reload's outcome for /status.

import type { Snapshot } from './snapshot.ts';
import { SyncHealth } from './sync-health.ts';

export interface ReloadStatus {
  at: Date;
  source: 'file' | 'git';
  ok: boolean;
  /** Formatted `FILE:LINE:COL: message` lines; empty when ok. Never hold secrets. */
  errors: string[];
  /** The version that was tried (a commit sha under git), when known. */
  version?: string;
}

export type SwapListener = (next: Snapshot, previous: Snapshot | undefined) => void;

export class ConfigStore {
  #current: Snapshot | undefined;
  #listeners = new Set<SwapListener>();
  /** The outcome of the last load attempt (initial load included), for /status. */
  lastReload: ReloadStatus | undefined;
  /** When the serving snapshot was last replaced successfully. */
  lastSuccessAt: Date | undefined;
  /** Whether the source is reachable and its newest version serves (metrics, /status, /readyz). */
  readonly health = new SyncHealth();

  constructor(initial?: Snapshot) {
    if (initial) { this.#current = initial; this.lastSuccessAt = initial.loadedAt; }
  }

  /** The snapshot to bind to a request at its start; undefined until a config loads. */
  current(): Snapshot | undefined {
    return this.#current;
  }

  swap(next: Snapshot): void {
    const previous = this.#current;
    this.#current = next;
    this.lastSuccessAt = next.loadedAt;
    for (const listener of this.#listeners) {
      try {
        listener(next, previous);
      } catch {
        // A listener's failure must not undo or block the swap for the others.
      }
    }
  }

  /** Called after every swap; returns a function that unsubscribes. */
  onSwap(listener: SwapListener): () => void {
    this.#listeners.add(listener);
    return () => { this.#listeners.delete(listener); };
  }

  recordReload(status: ReloadStatus): void {
    this.lastReload = status;
  }
}
