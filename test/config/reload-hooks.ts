// A ReloadHooks recorder for tests: every call is kept, and a test can await
// the next call (or the first one matching a condition) without sleeping.

import type { ConfigError } from '../../src/config/config-error.ts';
import type { Snapshot } from '../../src/config/snapshot.ts';
import type { ReloadHooks } from '../../src/config/watch.ts';

export interface ReloadEvent {
  source: 'file' | 'git';
  ok: boolean;
  snapshot?: Snapshot;
  errors?: ConfigError[];
}

export class RecordingHooks implements ReloadHooks {
  readonly events: ReloadEvent[] = [];
  /** Sources that could not be read, one entry per failure. */
  readonly syncErrors: ('file' | 'git')[] = [];

  onSyncError(source: 'file' | 'git'): void {
    this.syncErrors.push(source);
  }
  #waiters: { match: (e: ReloadEvent) => boolean; resolve: (e: ReloadEvent) => void }[] = [];

  onReload(source: 'file' | 'git', ok: boolean, snapshot?: Snapshot, errors?: ConfigError[]): void {
    const event: ReloadEvent = { source, ok, ...(snapshot ? { snapshot } : {}), ...(errors ? { errors } : {}) };
    this.events.push(event);
    this.#waiters = this.#waiters.filter((w) => {
      if (!w.match(event)) return true;
      w.resolve(event);
      return false;
    });
  }

  /** Resolves with the first event from now on that matches. */
  next(match: (e: ReloadEvent) => boolean = () => true): Promise<ReloadEvent> {
    return new Promise((resolve) => this.#waiters.push({ match, resolve }));
  }
}
