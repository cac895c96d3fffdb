// Cost of one request from the serving model's prices (spec section 6).
// Prices are USD per 1M tokens. `input` counts every prompt token, cached
// reads and cache writes included, so the uncached part is what remains.

import type { Prices } from '../config/snapshot.ts';
import type { TokenUsage } from '../formats/ir.ts';

/**
 * USD for `usage` at `prices`; null when the provider reported no usage or
 * the model has no configured price (`priced` false): unknown, never a guess.
 */
export function costUsd(usage: TokenUsage | undefined, prices: Prices, priced: boolean): number | null {
  if (usage === undefined) return null;
  if (!priced) return null;
  const cached = Math.max(0, usage.cached);
  const cacheWrite = Math.max(0, usage.cacheWrite);
  const uncached = Math.max(0, usage.input - cached - cacheWrite);
  const micro =
    uncached * prices.input +
    cached * (prices.cachedInput ?? prices.input) +
    cacheWrite * (prices.cacheWriteInput ?? prices.input) +
    Math.max(0, usage.output) * prices.output;
  return micro / 1_000_000;
}
