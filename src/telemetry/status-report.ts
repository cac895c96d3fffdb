// The body of `GET /status` (and the data behind `GET /ui`), plus the running
// "today" totals the data path feeds from each usage line. No field may ever
// hold a secret: credentials are shown only by their index in the pool.

import type { ConfigSource } from './metrics.ts';
import type { ProviderType, Strategy } from '../config/snapshot.ts';
import type { CircuitState } from '../pipeline/circuit-breaker.ts';
import type { UsageLine } from './usage-record.ts';

/** Re-exported for the status page; the breaker defines the states. */
export type { CircuitState };

export interface StatusReport {
  /** ISO time the report was made. */
  generated_at: string;
  config: {
    version: string;
    source: ConfigSource;
    /** Folder path or git URL without credentials. */
    origin: string;
    /** ISO time the serving config was loaded. */
    loaded_at: string;
    /** The latest reload attempt, successful or not; null before the first reload. */
    last_reload: {
      at: string;
      source: ConfigSource;
      ok: boolean;
      /** Validation or load errors of a failed reload (`FILE:LINE:COL: message`); empty when ok. */
      errors: string[];
    } | null;
    /** True while the newest version seen is rejected or the source cannot be read (switchyard_config_stale). */
    stale: boolean;
    /** ISO time the source was last read successfully (a git fetch or a folder scan); null before any. */
    last_sync_at: string | null;
    /** Why the source cannot be read now; null when it can. */
    sync_error: { at: string; message: string } | null;
    /** The newest version seen, rejected; kept for as long as it is the newest. null when the newest serves. */
    rejected: { version: string | null; at: string; errors: string[] } | null;
    /** Under git: the branch head was invalid at start, so an older commit serves. */
    fallback: { head: string; served: string } | null;
  };
  providers: {
    name: string;
    type: ProviderType;
    /** '' for mock providers. */
    base_url: string;
    /** Model names as listed under the provider. */
    models: string[];
    credentials: {
      /** Position in the provider's `api_keys` pool, from 0. */
      index: number;
      /** ISO time until which the credential is skipped (after 401/403/429), else null. */
      cooling_down_until: string | null;
    }[];
  }[];
  members: {
    /** "provider/model". */
    target: string;
    circuit: CircuitState;
    /** ISO time the open circuit allows a trial request; null when closed. */
    open_until: string | null;
    /** Moving average of recent attempt latency; null before any attempt. */
    recent_latency_ms: number | null;
    /** Share of recent attempts that failed, 0..1; null before any attempt. */
    recent_error_rate: number | null;
  }[];
  groups: {
    name: string;
    strategy: Strategy;
    policy: string;
    members: { target: string; priority: number; weight: number }[];
  }[];
  today: TodayTotalsView;
}

export interface TodayTotalsView {
  /** The UTC day these totals cover, YYYY-MM-DD. */
  date: string;
  requests: number;
  errors: number;
  input_tokens: number;
  output_tokens: number;
  /** Sum of known costs; requests with unknown cost add nothing. */
  cost_usd: number;
}

const dayPattern = /^\d{4}-\d{2}-\d{2}T/;

/**
 * Today's totals (UTC day) over the usage lines seen by this process. A line
 * counts toward the day of its own `ts`; the totals start over when the UTC
 * day changes, whether noticed by a new line or by a read.
 */
export class TodayTotals {
  private readonly now: () => Date;
  private totals: TodayTotalsView;

  constructor(now: () => Date = () => new Date()) {
    this.now = now;
    this.totals = empty(this.clockDay());
  }

  add(line: UsageLine): void {
    const day = typeof line.ts === 'string' && dayPattern.test(line.ts) ? line.ts.slice(0, 10) : this.clockDay();
    if (day > this.totals.date) this.totals = empty(day);
    else if (day < this.totals.date) return; // a line from yesterday, arriving after midnight
    const t = this.totals;
    t.requests += 1;
    if (line.error !== null) t.errors += 1;
    t.input_tokens += line.input_tokens;
    t.output_tokens += line.output_tokens;
    if (line.cost_usd !== null) t.cost_usd += line.cost_usd;
  }

  /** A copy of the current day's totals. */
  view(): TodayTotalsView {
    const today = this.clockDay();
    if (today > this.totals.date) this.totals = empty(today);
    return { ...this.totals };
  }

  private clockDay(): string {
    return this.now().toISOString().slice(0, 10);
  }
}

function empty(date: string): TodayTotalsView {
  return { date, requests: 0, errors: 0, input_tokens: 0, output_tokens: 0, cost_usd: 0 };
}
