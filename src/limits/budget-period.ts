// UTC budget periods: a day, an ISO week (Monday 00:00 UTC to the next
// Monday), a calendar month. Shared by the stores (which period a cost lands
// in, when a budget refusal ends) and by budget recovery (which usage lines
// count), so all three agree on the boundaries.

import type { BudgetPeriod } from '../config/snapshot.ts';

export interface PeriodWindow {
  /** Stable name of the period, e.g. "day:2026-11-22", "week:2026-11-16", "month:2026-11". */
  id: string;
  startMs: number;
  /** Exclusive. */
  endMs: number;
}

const dayMs = 86_400_000;

function isoDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

export function budgetPeriodWindow(period: BudgetPeriod, now: number): PeriodWindow {
  const date = new Date(now);
  const dayStart = Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate());
  switch (period) {
    case 'day':
      return { id: `day:${isoDate(dayStart)}`, startMs: dayStart, endMs: dayStart + dayMs };
    case 'week': {
      // getUTCDay: Sunday 0 .. Saturday 6; days since Monday: Monday 0 .. Sunday 6.
      const sinceMonday = (date.getUTCDay() + 6) % 7;
      const startMs = dayStart - sinceMonday * dayMs;
      return { id: `week:${isoDate(startMs)}`, startMs, endMs: startMs + 7 * dayMs };
    }
    case 'month': {
      const startMs = Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1);
      const endMs = Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1);
      return { id: `month:${isoDate(startMs).slice(0, 7)}`, startMs, endMs };
    }
  }
}
