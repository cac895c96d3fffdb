// How well the gateway keeps up with its config source, for /status, /readyz
// and the sync metrics: when it last reached the source, whether it can reach
// it now, and whether the newest version it saw was rejected. "Stale" means
// the change an operator pushed is not what serves: the newest version is
// rejected or the source cannot be read. A rejected version stays reported
// for as long as it is the newest one, so alerts on it do not clear themselves.

export interface Rejection {
  /** The rejected version: a commit sha under git; undefined for a folder (an invalid folder has no version). */
  version?: string;
  at: Date;
  /** `FILE:LINE:COL: message` lines; never a secret. */
  errors: string[];
}

export interface SyncFailure {
  at: Date;
  /** Secret-free: credentials are stripped from URLs before this is built. */
  message: string;
}

/** Under git: the branch head was invalid at start, so an older commit serves. */
export interface Fallback {
  head: string;
  served: string;
}

export class SyncHealth {
  /** Last time the source was read successfully (a fetch or a folder scan), whatever the config's validity. */
  lastSyncAt: Date | undefined;
  /** Fetch, clone or scan failures since start. */
  errorCount = 0;
  /** The source cannot be read now; cleared by the next successful read. */
  failure: SyncFailure | undefined;
  /** The newest version seen was rejected; cleared when a newer version is accepted. */
  rejected: Rejection | undefined;
  fallback: Fallback | undefined;

  get stale(): boolean {
    return this.rejected !== undefined || this.failure !== undefined;
  }

  synced(at = new Date()): void {
    this.lastSyncAt = at;
    this.failure = undefined;
  }

  syncFailed(message: string, at = new Date()): void {
    this.errorCount++;
    this.failure = { at, message };
  }

  accepted(): void {
    this.rejected = undefined;
    this.fallback = undefined;
  }

  reject(rejection: Rejection): void {
    this.rejected = rejection;
  }
}
