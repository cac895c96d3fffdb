// Budgets survive restarts without any state of their own: at start the
// gateway re-reads the usage log (the record of every request) and sums each
// key's cost_usd over the current UTC day, ISO week and month. The serving
// gateway does it through the spend ledger (spend-ledger.ts), which starts from
// its checkpoint; this full scan is the same reading with no checkpoint.

import type { PeriodSpend } from './limiter.ts';
import { SpendLedger } from './spend-ledger.ts';

/**
 * Spend per key name in the periods containing `now`, from every line. A
 * missing folder is no spend; a torn or foreign line (a crash mid-append) is skipped.
 */
export async function recoverSpend(usageDir: string, now: Date): Promise<Map<string, PeriodSpend>> {
  return (await SpendLedger.open(usageDir, now, { useCheckpoint: false })).spend;
}
