// What serve needs of a config source (a watched folder or a git branch):
// reload on demand (SIGHUP, POST /-/reload, a push webhook) with the outcome,
// and stop.

export interface ReloadOutcome {
  /** True when the source's newest version serves now (newly swapped in or already serving). */
  ok: boolean;
  /** The version serving after the reload; null while none ever loaded. */
  version: string | null;
  /** Why the newest version was rejected or could not be read; empty when ok. */
  errors: string[];
  /** The source could not be read at all (as opposed to a version that was read and rejected). */
  unreachable?: boolean;
}

export interface SourceFollower {
  /** Reads the source now, re-checking even a version rejected before; never rejects. */
  reloadNow(): Promise<ReloadOutcome>;
  stop(): Promise<void>;
}
