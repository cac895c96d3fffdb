// Entry point of per-key limits: picks the store named by settings.limits.
// Usage at start:
//   const spend = await recoverSpend(usageDir, now);
//   const limiter = await createLimiter({ ...settings.limits, recoveredSpend: { asOf: now, byKey: spend } });

import { MemoryLimiter } from './memory-store.ts';
import type { Limiter, RecoveredSpend } from './limiter.ts';

export type {
  Admission, Admitted, FinishResult, LimitKind, Limiter, PeriodSpend, RecoveredSpend, Refused, Unavailable,
} from './limiter.ts';
export { recoverSpend } from './budget-recovery.ts';

export interface CreateLimiterOptions {
  store: 'memory' | 'redis';
  /** Required for store 'redis' (the resolved secret; never logged). */
  redisUrl?: string;
  onRedisError: 'allow' | 'deny';
  recoveredSpend?: RecoveredSpend;
  hooks?: {
    /** Each admission or finish that could not use Redis (turn it into a metric). */
    onRedisError?(err: Error): void;
  };
  /** Redis key prefix (default "switchyard:"); lets several gateways share one Redis. */
  keyPrefix?: string;
  /** Redis command timeout in ms (default 300). */
  commandTimeoutMs?: number;
}

export async function createLimiter(options: CreateLimiterOptions): Promise<Limiter> {
  if (options.store === 'memory') {
    return new MemoryLimiter({ recoveredSpend: options.recoveredSpend });
  }
  if (!options.redisUrl) throw new Error('settings.limits.redis_url is required with store: redis');
  // Loaded only when configured: the Redis client costs ~25 MB of memory at import.
  const { RedisLimiter } = await import('./redis-store.ts');
  return RedisLimiter.connect({
    url: options.redisUrl,
    onRedisError: options.onRedisError,
    recoveredSpend: options.recoveredSpend,
    hooks: options.hooks,
    keyPrefix: options.keyPrefix,
    commandTimeoutMs: options.commandTimeoutMs,
  });
}
