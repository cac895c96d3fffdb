// Restart recovery of budgets from usage files: the current day, ISO week and
// month are summed per key from usage-YYYY-MM-DD.jsonl; older periods are not.

import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { budgetPeriodWindow } from '../../src/limits/budget-period.ts';
import { recoverSpend } from '../../src/limits/budget-recovery.ts';
import { createLimiter } from '../../src/limits/index.ts';
import { admitted, clientKey, refused } from './support.ts';

function line(ts: string, key: string, cost: number | null): string {
  return JSON.stringify({ ts, request_id: 'r', key, route: 'chat_completions', status: cost === null ? 429 : 200, cost_usd: cost });
}

describe('budget recovery from the usage log', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'switchyard-usage-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function day(date: string, ...lines: string[]): void {
    writeFileSync(path.join(dir, `usage-${date}.jsonl`), lines.map((l) => l + '\n').join(''));
  }

  it('sums each key\'s cost over the current day, ISO week and month; last month does not count', async () => {
    // Now: Wednesday 2026-12-02 15:00 UTC. Its ISO week began Monday 2026-11-30, still in November.
    const now = new Date(Date.UTC(2026, 11, 2, 15, 0, 0));
    day('2026-11-29', line('2026-11-29T23:59:59.999Z', 'search', 100));       // last month, last week
    day('2026-11-30', line('2026-11-30T00:00:00.000Z', 'search', 1), line('2026-11-30T10:00:00.000Z', 'ads', 2)); // this week, last month
    day('2026-12-01', line('2026-12-01T08:00:00.000Z', 'search', 4), line('2026-12-01T09:00:00.000Z', 'search', null));
    day('2026-12-02',
      line('2026-12-02T00:00:00.000Z', 'search', 8),
      line('2026-12-02T14:00:00.000Z', 'ads', 16),
      line('2026-12-02T14:30:00.000Z', 'search', 0));
    const spend = await recoverSpend(dir, now);
    expect(spend.get('search')).to.deep.equal({ day: 8, week: 13, month: 12 });
    expect(spend.get('ads')).to.deep.equal({ day: 16, week: 18, month: 16 });
    expect([...spend.keys()].sort()).to.deep.equal(['ads', 'search']);
  });

  it('reads the whole month when the week began in it, and only files named like usage files', async () => {
    // Sunday 2026-11-22: week from Monday 2026-11-16; month from 2026-11-01.
    const now = new Date(Date.UTC(2026, 10, 22, 12));
    day('2026-10-31', line('2026-10-31T12:00:00.000Z', 'k', 50));
    day('2026-11-01', line('2026-11-01T00:00:00.000Z', 'k', 1));
    day('2026-11-15', line('2026-11-15T23:59:59.000Z', 'k', 2));
    day('2026-11-16', line('2026-11-16T00:00:00.000Z', 'k', 4));
    day('2026-11-22', line('2026-11-22T11:00:00.000Z', 'k', 8));
    writeFileSync(path.join(dir, 'usage-2026-11-20.jsonl.bak'), line('2026-11-20T00:00:00.000Z', 'k', 1000) + '\n');
    writeFileSync(path.join(dir, 'notes.txt'), 'hello\n');
    const spend = await recoverSpend(dir, now);
    expect(spend.get('k')).to.deep.equal({ day: 8, week: 12, month: 15 });
  });

  it('skips a torn last line left by a crash and foreign lines, keeping the rest', async () => {
    const now = new Date(Date.UTC(2026, 10, 22, 12));
    writeFileSync(path.join(dir, 'usage-2026-11-22.jsonl'), [
      line('2026-11-22T01:00:00.000Z', 'k', 0.25),
      'not json',
      '[1,2]',
      JSON.stringify({ ts: 'yesterday', key: 'k', cost_usd: 5 }),
      line('2026-11-22T02:00:00.000Z', 'k', 0.5),
      '{"ts":"2026-11-22T03:00:00.000Z","key":"k","cost_u',
    ].join('\n'));
    const spend = await recoverSpend(dir, now);
    expect(spend.get('k')?.day).to.equal(0.75);
  });

  it('returns no spend when the usage folder does not exist yet', async () => {
    const spend = await recoverSpend(path.join(dir, 'missing'), new Date());
    expect(spend.size).to.equal(0);
  });

  it('makes a budget survive a restart: a new limiter refuses a key that spent its budget before', async () => {
    const now = new Date(Date.UTC(2026, 10, 22, 12));
    day('2026-11-22', line('2026-11-22T09:00:00.000Z', 'team', 0.7), line('2026-11-22T10:00:00.000Z', 'team', 0.35));
    const byKey = await recoverSpend(dir, now);
    const limiter = await createLimiter({ store: 'memory', onRedisError: 'allow', recoveredSpend: { asOf: now, byKey } });
    const key = clientKey('team', { budgetUsd: 1, budgetPeriod: 'day' });
    expect(refused(await limiter.admit(key, now.getTime())).limit).to.equal('budget');
    admitted(await limiter.admit(clientKey('team', { budgetUsd: 2, budgetPeriod: 'day' }), now.getTime()));
    await limiter.close();
  });
});

describe('budget periods', () => {
  it('are UTC days, ISO weeks from Monday, and calendar months', () => {
    const sunday = Date.UTC(2026, 10, 22, 23, 59, 59, 999);
    expect(budgetPeriodWindow('day', sunday)).to.deep.equal({
      id: 'day:2026-11-22', startMs: Date.UTC(2026, 10, 22), endMs: Date.UTC(2026, 10, 23),
    });
    expect(budgetPeriodWindow('week', sunday)).to.deep.equal({
      id: 'week:2026-11-16', startMs: Date.UTC(2026, 10, 16), endMs: Date.UTC(2026, 10, 23),
    });
    expect(budgetPeriodWindow('week', Date.UTC(2026, 10, 23)).id).to.equal('week:2026-11-23');
    expect(budgetPeriodWindow('month', Date.UTC(2026, 11, 31, 12))).to.deep.equal({
      id: 'month:2026-12', startMs: Date.UTC(2026, 11, 1), endMs: Date.UTC(2027, 0, 1),
    });
    // An ISO week across a year end.
    expect(budgetPeriodWindow('week', Date.UTC(2027, 0, 1)).id).to.equal('week:2026-12-28');
  });
});
