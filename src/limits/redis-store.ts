// The shared limit store: every replica checks and records in the same Redis,
// one Lua script per admission and one per finish, so all replicas see the
// same counts at once (no batching) and check-and-count is atomic.
//
// Layout per key name (one hash tag, so a cluster keeps a key's data together):
//   <prefix>{name}:rpm             sorted set: admission id scored by its time
//   <prefix>{name}:tpm             hash: UTC second -> tokens finished in it
//   <prefix>{name}:inflight        sorted set: lease id scored by its expiry
//   <prefix>{name}:spend:<period>  string: USD spent, INCRBYFLOAT, expires after the period
//
// Concurrency is a set of leases rather than a counter, so releasing is
// idempotent (ZREM) and a crashed replica's slots expire on their own; this
// process refreshes its open leases while their requests run.
//
// When Redis is unreachable, `onRedisError` decides: 'allow' admits (fail
// open), 'deny' answers Unavailable (503). Commands time out fast, the outage
// is logged once, and a background probe notices when Redis is back. Spend and
// slot releases that could not be sent are replayed then, so budgets do not
// forget what was spent during the outage.

import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createClient, ErrorReply, ClientClosedError, ClientOfflineError } from 'redis';
import type { BudgetPeriod, ClientKey } from '../config/snapshot.ts';
import { log } from '../telemetry/logger.ts';
import { budgetPeriodWindow } from './budget-period.ts';
import {
  decide, hasLimits, once, rateLimitHeaders, refusedAdmission, unavailableAdmission, unlimitedAdmissionPromise, windowMs,
  type Admission, type Admitted, type FinishResult, type Limiter, type Observed, type RecoveredSpend,
} from './limiter.ts';

type RedisClient = ReturnType<typeof createClient>;

export interface RedisLimiterOptions {
  url: string;
  onRedisError: 'allow' | 'deny';
  recoveredSpend?: RecoveredSpend;
  hooks?: { onRedisError?(err: Error): void };
  /** Prefix of every Redis key (default "switchyard:"). */
  keyPrefix?: string;
  /** A command not answered within this is a failure (default 300 ms). */
  commandTimeoutMs?: number;
  /** How long createLimiter waits for the first connection before serving without it (default 1000 ms). */
  connectWaitMs?: number;
  /** A concurrency slot whose replica stopped refreshing it expires after this (default 120 s). */
  leaseTtlMs?: number;
  /** Interval between health probes while Redis is unreachable (default 500 ms). */
  probeIntervalMs?: number;
}

// Both scripts (admit.lua, finish.lua beside this file; the build copies them
// into dist/) mirror decide() and the memory store's windows: requests count
// for 60 s; tokens of second s count until (s + 1) * 1000 + 60 s.

interface Script {
  source: string;
  sha: string;
}

/** Reads a script shipped beside this module, once, at start. */
function script(file: string): Script {
  const source = readFileSync(new URL(file, import.meta.url), 'utf8');
  return { source, sha: createHash('sha1').update(source).digest('hex') };
}

const scripts = { admit: script('./admit.lua'), finish: script('./finish.lua') };

/** Spend periods outlive their end a little so replicas with skewed clocks still find them. */
const spendGraceMs = 3_600_000;

/**
 * Spend keys expire relative to the caller's clock (PEXPIRE, not PEXPIREAT),
 * so a skew between a replica and the Redis host cannot drop a live period.
 */
function spendTtlMs(periodEndMs: number, now: number): number {
  return Math.max(1, periodEndMs + spendGraceMs - now);
}

class RedisTimeoutError extends Error {
  constructor(ms: number) {
    super(`redis command timed out after ${ms} ms`);
    this.name = 'RedisTimeoutError';
  }
}

const knownDown = new Error('redis is unreachable (waiting for it to come back)');

/** A Redis URL may hold a password; no message leaving this module keeps one. */
function scrub(err: unknown): Error {
  const message = err instanceof Error ? err.message : String(err);
  const clean = message.replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^\s/@]*@/gi, '$1[redacted]@');
  if (err instanceof Error && clean === message) return err;
  const scrubbed = new Error(clean);
  scrubbed.name = err instanceof Error ? err.name : 'Error';
  return scrubbed;
}

/** True when the command certainly never reached Redis, so sending it again cannot count it twice. */
function notSent(err: unknown): boolean {
  return err === knownDown || err instanceof ClientOfflineError || err instanceof ClientClosedError;
}

function keysOf(prefix: string, name: string) {
  const base = `${prefix}{${name}}`;
  return {
    requests: `${base}:rpm`,
    tokens: `${base}:tpm`,
    inFlight: `${base}:inflight`,
    spend: (periodId: string) => `${base}:spend:${periodId}`,
  };
}

interface PendingSpend {
  tokensKey: string;
  inFlightKey: string;
  amount: number;
  seed: number;
  periodEndMs: number;
  /** When the last of it was spent, by the caller's clock. */
  at: number;
}

export class RedisLimiter implements Limiter {
  private readonly client: RedisClient;
  private readonly mode: 'allow' | 'deny';
  private readonly onError: ((err: Error) => void) | undefined;
  private readonly prefix: string;
  private readonly timeoutMs: number;
  private readonly leaseTtlMs: number;
  private readonly probeIntervalMs: number;
  private readonly seeds = new Map<string, number>();
  private readonly instance = randomBytes(6).toString('hex');
  private sequence = 0;
  private healthy = false;
  private downSince = 0;
  private probeTimer: NodeJS.Timeout | undefined;
  private probing = false;
  private readonly refreshTimer: NodeJS.Timeout;
  private closed = false;
  /** Open leases of this process: lease id -> its sorted set. */
  private readonly leases = new Map<string, string>();
  /** Spend that could not be sent during an outage, per spend key. */
  private readonly pendingSpend = new Map<string, PendingSpend>();
  /** Leases whose release could not be sent: lease id -> its sorted set. */
  private readonly pendingReleases = new Map<string, string>();

  private constructor(client: RedisClient, options: RedisLimiterOptions) {
    this.client = client;
    this.mode = options.onRedisError;
    this.onError = options.hooks?.onRedisError;
    this.prefix = options.keyPrefix ?? 'switchyard:';
    this.timeoutMs = options.commandTimeoutMs ?? 300;
    this.leaseTtlMs = options.leaseTtlMs ?? 120_000;
    this.probeIntervalMs = options.probeIntervalMs ?? 500;
    const recovered = options.recoveredSpend;
    if (recovered) {
      const asOf = typeof recovered.asOf === 'number' ? recovered.asOf : recovered.asOf.getTime();
      for (const [name, spend] of recovered.byKey) {
        for (const period of ['day', 'week', 'month'] as const) {
          if (spend[period] > 0) this.seeds.set(keysOf(this.prefix, name).spend(budgetPeriodWindow(period, asOf).id), spend[period]);
        }
      }
    }
    this.refreshTimer = setInterval(() => void this.refreshLeases(), Math.max(1000, Math.floor(this.leaseTtlMs / 4)));
    this.refreshTimer.unref();
  }

  /**
   * Connects, waiting at most `connectWaitMs`: a gateway starts and serves
   * (by `onRedisError`) even while Redis is down, and connects when it can.
   */
  static async connect(options: RedisLimiterOptions): Promise<RedisLimiter> {
    const client = createClient({
      url: options.url,
      disableOfflineQueue: true,
      socket: {
        connectTimeout: options.commandTimeoutMs ? Math.max(options.commandTimeoutMs, 500) : 500,
        reconnectStrategy: (retries: number) => Math.min(50 * 2 ** retries, 2000),
      },
    });
    const limiter = new RedisLimiter(client, options);
    // Connection errors repeat on every reconnect attempt: they mark the outage but are not counted.
    client.on('error', (err: unknown) => limiter.markDown(err));
    client.on('ready', () => void limiter.probe());
    let timer: NodeJS.Timeout | undefined;
    const connected = await Promise.race([
      client.connect().then(() => true, () => false),
      // A refused connection is known at once; a silent one is waited for a little.
      new Promise<false>((resolve) => client.once('error', () => resolve(false))),
      new Promise<false>((resolve) => { timer = setTimeout(() => resolve(false), options.connectWaitMs ?? 1000); }),
    ]);
    clearTimeout(timer);
    if (connected) {
      limiter.healthy = true;
    } else {
      limiter.markDown(new Error('redis did not answer at start'));
    }
    return limiter;
  }

  redisHealthy(): boolean {
    return this.healthy;
  }

  async spentUsd(key: ClientKey, now: number = Date.now()): Promise<number | undefined> {
    if (key.limits.budgetUsd === undefined || !this.client.isReady || !this.healthy) return undefined;
    const spendKey = keysOf(this.prefix, key.name).spend(budgetPeriodWindow(key.limits.budgetPeriod, now).id);
    try {
      const value = await this.send(['GET', spendKey]);
      // Absent until the key's first admission this period: the admit script starts it from the recovered seed.
      const spent = value === null || value === undefined ? this.seeds.get(spendKey) ?? 0 : Number(value);
      return Number.isFinite(spent) ? spent + (this.pendingSpend.get(spendKey)?.amount ?? 0) : undefined;
    } catch {
      return undefined;
    }
  }

  async admit(key: ClientKey, now: number = Date.now()): Promise<Admission> {
    const limits = key.limits;
    if (!hasLimits(limits)) return unlimitedAdmissionPromise;
    const keys = keysOf(this.prefix, key.name);
    const period = limits.budgetUsd !== undefined ? budgetPeriodWindow(limits.budgetPeriod, now) : undefined;
    const spendKey = period ? keys.spend(period.id) : keys.spend('none');
    const id = `${this.instance}:${(this.sequence++).toString(36)}`;
    let reply: unknown;
    try {
      reply = await this.run(scripts.admit, [keys.requests, keys.tokens, keys.inFlight, spendKey], [
        String(now), String(windowMs),
        String(limits.rpm ?? -1), String(limits.tpm ?? -1), String(limits.concurrency ?? -1),
        String(limits.budgetUsd ?? -1),
        String(this.seeds.get(spendKey) ?? 0), String(period ? spendTtlMs(period.endMs, now) : 1),
        id, String(now + this.leaseTtlMs), String(this.leaseTtlMs * 2),
      ]);
    } catch (err) {
      this.failed(err);
      // A timed-out script may still have run: make sure its slot does not linger.
      if (limits.concurrency !== undefined && !notSent(err)) this.pendingReleases.set(id, keys.inFlight);
      if (this.mode === 'deny') return unavailableAdmission;
      // Fail open: nothing was counted in Redis, but tokens and spend still are when it can be reached.
      return this.admitted(key, {}, undefined);
    }
    const seen = this.parseObserved(reply, period?.endMs ?? 0);
    const refusal = decide(limits, seen.observed, now);
    if (!seen.admitted || refusal) {
      return refusedAdmission(key, seen.observed, refusal ?? { limit: 'rpm', retryAfterS: 1 });
    }
    const lease = limits.concurrency !== undefined ? id : undefined;
    if (lease) this.leases.set(lease, keys.inFlight);
    return this.admitted(key, rateLimitHeaders(limits, seen.observed, true), lease);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.refreshTimer);
    this.stopProbe();
    if (this.client.isReady && this.healthy) {
      // Let queued finishes land, but never wait long on a sick server.
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        this.client.close().catch(() => undefined),
        new Promise((resolve) => { timer = setTimeout(resolve, this.timeoutMs * 2); }),
      ]);
      clearTimeout(timer);
    }
    if (this.client.isOpen) this.client.destroy();
  }

  private admitted(key: ClientKey, headers: Record<string, string>, lease: string | undefined): Admitted {
    const limits = key.limits;
    const keys = keysOf(this.prefix, key.name);
    const tracksTokens = limits.tpm !== undefined;
    const budgetPeriod: BudgetPeriod | undefined = limits.budgetUsd !== undefined ? limits.budgetPeriod : undefined;
    return {
      ok: true,
      headers,
      finish: once((result, now) => this.finish(keys, lease, result, now, tracksTokens, budgetPeriod)),
    };
  }

  private async finish(
    keys: ReturnType<typeof keysOf>, lease: string | undefined, result: FinishResult, now: number,
    tracksTokens: boolean, budgetPeriod: BudgetPeriod | undefined,
  ): Promise<void> {
    if (lease) this.leases.delete(lease);
    const tokens = tracksTokens && Number.isFinite(result.tokens) && result.tokens > 0 ? Math.round(result.tokens) : 0;
    const cost = budgetPeriod !== undefined && result.costUsd !== null && Number.isFinite(result.costUsd) && result.costUsd > 0
      ? result.costUsd : 0;
    if (!lease && tokens === 0 && cost === 0) return;
    const period = budgetPeriod !== undefined ? budgetPeriodWindow(budgetPeriod, now) : undefined;
    const spendKey = keys.spend(period ? period.id : 'none');
    const seed = this.seeds.get(spendKey) ?? 0;
    const ttlMs = period ? spendTtlMs(period.endMs, now) : 1;
    try {
      await this.run(scripts.finish, [keys.tokens, keys.inFlight, spendKey], [
        String(now), String(windowMs), String(tokens), String(cost), lease ?? '', String(seed), String(ttlMs),
      ]);
    } catch (err) {
      this.failed(err);
      // Releasing a lease is idempotent: always retry it. Spend only when it surely was not counted.
      if (lease) this.pendingReleases.set(lease, keys.inFlight);
      if (cost > 0 && notSent(err)) {
        const pending = this.pendingSpend.get(spendKey);
        if (pending) {
          pending.amount += cost;
          pending.at = Math.max(pending.at, now);
        } else {
          this.pendingSpend.set(spendKey, {
            tokensKey: keys.tokens, inFlightKey: keys.inFlight, amount: cost, seed, periodEndMs: period!.endMs, at: now,
          });
        }
      }
    }
  }

  private parseObserved(reply: unknown, periodEndMs: number): { admitted: boolean; observed: Observed } {
    if (!Array.isArray(reply) || reply.length < 9) throw new Error('unexpected reply from the admit script');
    const n = (i: number) => Number(reply[i]);
    return {
      admitted: n(0) === 1,
      observed: {
        requests: n(1), requestsRetryMs: n(2), requestsResetMs: n(3),
        tokens: n(4), tokensRetryMs: n(5), tokensResetMs: n(6),
        inFlight: n(7), spentUsd: n(8), periodEndMs,
      },
    };
  }

  /** EVALSHA (EVAL when the server does not know the script yet), bounded by the command timeout. */
  private async run(which: Script, keys: string[], args: string[], evenIfDown = false): Promise<unknown> {
    if (!this.client.isReady || (!this.healthy && !evenIfDown)) throw knownDown;
    const tail = [String(keys.length), ...keys, ...args];
    try {
      return await this.send(['EVALSHA', which.sha, ...tail]);
    } catch (err) {
      if (err instanceof ErrorReply && err.message.startsWith('NOSCRIPT')) return this.send(['EVAL', which.source, ...tail]);
      throw err;
    }
  }

  private send(command: string[]): Promise<unknown> {
    // node-redis's own timeout covers only commands not yet written; a
    // frozen server needs this race too.
    let timer: NodeJS.Timeout | undefined;
    return Promise.race([
      this.client.sendCommand(command, { timeout: this.timeoutMs }),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new RedisTimeoutError(this.timeoutMs)), this.timeoutMs);
      }),
    ]).finally(() => clearTimeout(timer));
  }

  /** Every admission or finish that could not use Redis: counted through the hook, logged once per outage. */
  private failed(err: unknown): void {
    const clean = err === knownDown ? knownDown : scrub(err);
    try {
      this.onError?.(clean);
    } catch {
      // A broken hook must not break limiting.
    }
    this.markDown(clean);
  }

  private markDown(err: unknown): void {
    if (this.closed) return;
    const clean = err === knownDown ? knownDown : scrub(err);
    if (this.healthy || this.downSince === 0) {
      this.healthy = false;
      this.downSince = Date.now();
      log.warn('limits: redis unreachable', {
        error: clean.message,
        requests: this.mode === 'allow' ? 'admitted without limits (on_redis_error: allow)' : 'refused with 503 (on_redis_error: deny)',
      });
    }
    this.startProbe();
  }

  private startProbe(): void {
    if (this.probeTimer || this.closed) return;
    this.probeTimer = setInterval(() => void this.probe(), this.probeIntervalMs);
    this.probeTimer.unref();
  }

  private stopProbe(): void {
    if (this.probeTimer) clearInterval(this.probeTimer);
    this.probeTimer = undefined;
  }

  /** One PING; on success Redis counts as back and what was held during the outage is replayed. */
  private async probe(): Promise<void> {
    if (this.healthy || this.probing || this.closed || !this.client.isReady) return;
    this.probing = true;
    try {
      await this.send(['PING']);
      // Replay first: once healthy, new admissions must already see the outage's spend.
      await this.replay();
      this.healthy = true;
      this.stopProbe();
      // downSince is 0 on the first connection: nothing was logged, nothing to announce.
      if (this.downSince !== 0) log.info('limits: redis reachable again', { down_ms: Date.now() - this.downSince });
      this.downSince = 0;
    } catch {
      // Still down; the next tick tries again.
    } finally {
      this.probing = false;
    }
  }

  private async replay(): Promise<void> {
    const releases = [...this.pendingReleases];
    this.pendingReleases.clear();
    const spends = [...this.pendingSpend];
    this.pendingSpend.clear();
    for (const [lease, inFlightKey] of releases) {
      try {
        await this.send(['ZREM', inFlightKey, lease]);
      } catch {
        this.pendingReleases.set(lease, inFlightKey);
      }
    }
    for (const [spendKey, pending] of spends) {
      try {
        await this.run(scripts.finish, [pending.tokensKey, pending.inFlightKey, spendKey], [
          String(pending.at), String(windowMs), '0', String(pending.amount), '', String(pending.seed),
          String(spendTtlMs(pending.periodEndMs, pending.at)),
        ], true);
      } catch (err) {
        if (notSent(err)) {
          const again = this.pendingSpend.get(spendKey);
          if (again) again.amount += pending.amount;
          else this.pendingSpend.set(spendKey, pending);
        }
      }
    }
  }

  /** Keeps this process's running requests' slots from expiring. */
  private async refreshLeases(): Promise<void> {
    if (!this.healthy || this.leases.size === 0) return;
    const bySet = new Map<string, string[]>();
    for (const [lease, set] of this.leases) {
      const list = bySet.get(set);
      if (list) list.push(lease);
      else bySet.set(set, [lease]);
    }
    const expiry = String(Date.now() + this.leaseTtlMs);
    for (const [set, leases] of bySet) {
      try {
        await this.send(['ZADD', set, 'XX', ...leases.flatMap((lease) => [expiry, lease])]);
        await this.send(['PEXPIRE', set, String(this.leaseTtlMs * 2)]);
      } catch (err) {
        this.failed(err);
        return;
      }
    }
  }
}
