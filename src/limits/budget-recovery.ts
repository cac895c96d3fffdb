// Budgets survive restarts without any state of their own: at start the
// gateway re-reads the usage log (the record of every request) and sums each
// key's cost_usd over the current UTC day, ISO week and month. Only the files
// that can hold lines of those periods are opened, and they are streamed line
// by line, so a large month costs memory per key, not per line.

import { createReadStream, promises as fs } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { log } from '../telemetry/logger.ts';
import { budgetPeriodWindow } from './budget-period.ts';
import type { PeriodSpend } from './limiter.ts';

const filePattern = /^usage-(\d{4}-\d{2}-\d{2})\.jsonl$/;

interface Line {
  ts?: unknown;
  key?: unknown;
  cost_usd?: unknown;
}

/**
 * Spend per key name in the periods containing `now`. A missing folder is no
 * spend; a torn or foreign line (a crash mid-append) is skipped.
 */
export async function recoverSpend(usageDir: string, now: Date): Promise<Map<string, PeriodSpend>> {
  const at = now.getTime();
  const day = budgetPeriodWindow('day', at);
  const week = budgetPeriodWindow('week', at);
  const month = budgetPeriodWindow('month', at);
  const firstDay = new Date(Math.min(week.startMs, month.startMs)).toISOString().slice(0, 10);
  const lastDay = new Date(day.startMs).toISOString().slice(0, 10);

  let names: string[];
  try {
    names = await fs.readdir(usageDir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
    throw err;
  }
  const files = names
    .map((name) => ({ name, date: filePattern.exec(name)?.[1] }))
    .filter((f): f is { name: string; date: string } => f.date !== undefined && f.date >= firstDay && f.date <= lastDay)
    .sort((a, b) => a.name.localeCompare(b.name));

  const spend = new Map<string, PeriodSpend>();
  let skipped = 0;
  for (const file of files) {
    const lines = createInterface({ input: createReadStream(path.join(usageDir, file.name)), crlfDelay: Infinity });
    for await (const text of lines) {
      if (text.trim() === '') continue;
      let line: Line;
      try {
        line = JSON.parse(text) as Line;
      } catch {
        skipped++;
        continue;
      }
      if (typeof line !== 'object' || line === null) { skipped++; continue; }
      const cost = line.cost_usd;
      if (typeof cost !== 'number' || !Number.isFinite(cost) || cost <= 0) continue;
      if (typeof line.key !== 'string' || typeof line.ts !== 'string') { skipped++; continue; }
      const ts = Date.parse(line.ts);
      if (Number.isNaN(ts)) { skipped++; continue; }
      const inDay = ts >= day.startMs && ts < day.endMs;
      const inWeek = ts >= week.startMs && ts < week.endMs;
      const inMonth = ts >= month.startMs && ts < month.endMs;
      if (!inDay && !inWeek && !inMonth) continue;
      let entry = spend.get(line.key);
      if (!entry) {
        entry = { day: 0, week: 0, month: 0 };
        spend.set(line.key, entry);
      }
      if (inDay) entry.day += cost;
      if (inWeek) entry.week += cost;
      if (inMonth) entry.month += cost;
    }
  }
  if (skipped > 0) log.warn('budget recovery skipped unreadable usage lines', { lines: skipped, dir: usageDir });
  return spend;
}
