import { expect } from 'chai';
import { TodayTotals } from '../../src/telemetry/status-report.ts';
import type { UsageLine } from '../../src/telemetry/usage-record.ts';

function line(ts: string, overrides: Partial<UsageLine> = {}): UsageLine {
  return {
    ts, request_id: ts, key: 'k', route: 'chat_completions', model: 'm', provider: 'p', upstream_model: 'u', status: 200,
    stream: false, attempts: [], latency_ms: 10, ttft_ms: null, input_tokens: 100, output_tokens: 20, cached_tokens: 0,
    cache_write_tokens: 0, reasoning_tokens: 0, overhead_ms: 0.1, cost_usd: 0.25, config_version: 'v', error: null, ...overrides,
  };
}

describe('TodayTotals', () => {
  it("sums today's requests, errors, tokens and known costs", () => {
    const now = new Date('2026-11-22T12:00:00Z');
    const totals = new TodayTotals(() => now);
    totals.add(line('2026-11-22T11:00:00.000Z'));
    totals.add(line('2026-11-22T11:30:00.000Z', { status: 502, error: 'upstream failed', cost_usd: null, input_tokens: 0, output_tokens: 0 }));
    totals.add(line('2026-11-22T11:59:00.000Z', { cost_usd: 0.5 }));
    expect(totals.view()).to.deep.equal({ date: '2026-11-22', requests: 3, errors: 1, input_tokens: 200, output_tokens: 40, cost_usd: 0.75 });
  });

  it('starts over at UTC midnight, whether a read or a new line notices first', () => {
    let now = new Date('2026-11-22T23:59:00Z');
    const totals = new TodayTotals(() => now);
    totals.add(line('2026-11-22T23:58:59.000Z'));
    expect(totals.view().requests).to.equal(1);

    now = new Date('2026-11-23T00:00:01Z');
    expect(totals.view()).to.deep.equal({ date: '2026-11-23', requests: 0, errors: 0, input_tokens: 0, output_tokens: 0, cost_usd: 0 });
    // a request that ended before midnight, recorded just after it, belongs to yesterday
    totals.add(line('2026-11-22T23:59:59.999Z'));
    expect(totals.view().requests).to.equal(0);
    totals.add(line('2026-11-23T00:00:00.500Z'));
    expect(totals.view().requests).to.equal(1);

    // a new day's line resets even before any read
    const other = new TodayTotals(() => new Date('2026-11-23T23:59:59Z'));
    other.add(line('2026-11-23T23:00:00.000Z'));
    other.add(line('2026-11-24T00:00:00.001Z'));
    expect(other.view()).to.include({ date: '2026-11-24', requests: 1 });
  });

  it('returns a copy that later lines do not change', () => {
    const totals = new TodayTotals(() => new Date('2026-11-22T12:00:00Z'));
    const before = totals.view();
    totals.add(line('2026-11-22T12:00:00.000Z'));
    expect(before.requests).to.equal(0);
  });
});
