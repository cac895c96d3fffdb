// The usage report's reading path (large reads, a minute-cached timestamp
// parser, one reused field object) against a reference that JSON.parses every
// line the way the first release did, over lines chosen to be awkward.

import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { aggregateUsage, type GroupBy, type UsageTotals } from '../../src/cli/usage.ts';
import { readLines } from '../../src/telemetry/usage-file-lines.ts';

function line(i: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    ts: new Date(Date.parse('2026-11-22T23:58:00.000Z') + i * 7_919).toISOString(), request_id: `r${i}`, key: i % 3 ? 'search-team' : 'intern',
    route: 'chat_completions', model: i % 4 ? 'gpt-4-pool' : null, provider: i % 5 ? 'openai' : null, upstream_model: 'gpt-4o', status: 200, stream: true,
    attempts: i % 6 ? [] : [{ provider: 'azure-east', upstream_model: 'gpt-4o', status: null, outcome: 'timeout', ms: 41 }], latency_ms: 812, ttft_ms: null,
    input_tokens: i, output_tokens: 2 * i, cached_tokens: i % 2, cache_write_tokens: 0, reasoning_tokens: i % 3, overhead_ms: 0.4,
    cost_usd: i % 7 ? 0.001 * i : null, config_version: '3f2a9c1', error: i % 9 ? null : 'upstream "failed"\n\\ badly', ...extra,
  };
}

/** Lines a gateway writes plus everything a hand-edited or damaged file may hold. */
function awkwardText(): string {
  const out: string[] = [];
  for (let i = 0; i < 400; i++) out.push(JSON.stringify(line(i)));
  out.push(JSON.stringify(line(1000, { key: 'ключ-🔑', model: 'modèle "quoted" \\ back', 'ünïcödé': { 'nested': ['x', 1, null] } })));
  out.push(JSON.stringify(line(1001, { provider: '' })));
  out.push(JSON.stringify(line(1002, { input_tokens: '12', output_tokens: null, cost_usd: '0.5' })));
  out.push(JSON.stringify(line(1003, { error: false })));
  out.push(JSON.stringify(line(1004, { ts: '2026-11-23T24:00:00.000Z' })));
  out.push(JSON.stringify(line(1005, { ts: '2026-11-23T12:00:00+02:00' })));
  out.push(JSON.stringify(line(1006, { ts: '2026-11-23T12:61:00.000Z' })));
  out.push(JSON.stringify(line(1007, { ts: 12 })));
  out.push('{"ts":"2026-11-23T01:00:00.000Z","key":"a","key":"dup","cost_usd":1,"cost_usd":2e-3}');
  out.push('  {"ts" : "2026-11-23T01:00:01.000Z" , "k\\u0065y" : "escaped-key" , "cost_usd" : 1E2 }  ');
  out.push(JSON.stringify(line(1008)) + '\r');
  out.push(JSON.stringify(line(1009)).slice(0, 150)); // torn by a crash
  out.push('');
  out.push('   ');
  out.push('[1,2,3]');
  out.push('null');
  out.push('not json at all');
  out.push(JSON.stringify(line(1010, { error: 'x'.repeat(200_000) })));
  return out.join('\n') + '\n' + JSON.stringify(line(1011)); // the last line unterminated
}

function reference(text: string, by: GroupBy): Map<string, UsageTotals> {
  const rows = new Map<string, UsageTotals>();
  for (const raw of text.split(/\r?\n/)) {
    if (raw.trim() === '') continue;
    let l: any;
    try { l = JSON.parse(raw); } catch { continue; }
    if (l === null || typeof l !== 'object' || Array.isArray(l) || typeof l.ts !== 'string' || Number.isNaN(Date.parse(l.ts))) continue;
    const ms = Date.parse(l.ts);
    const value = by === 'day' ? new Date(ms).toISOString().slice(0, 10) : l[by];
    const group = typeof value === 'string' && value !== '' ? value : '(none)';
    const t = rows.get(group) ?? { requests: 0, errors: 0, input_tokens: 0, output_tokens: 0, cached_tokens: 0, cache_write_tokens: 0, reasoning_tokens: 0, cost_usd: 0, unknown_cost: 0 };
    rows.set(group, t);
    t.requests++;
    if (l.error !== null && l.error !== undefined) t.errors++;
    for (const f of ['input_tokens', 'output_tokens', 'cached_tokens', 'cache_write_tokens', 'reasoning_tokens'] as const) t[f] += typeof l[f] === 'number' && Number.isFinite(l[f]) ? l[f] : 0;
    if (typeof l.cost_usd === 'number' && Number.isFinite(l.cost_usd)) t.cost_usd += l.cost_usd;
    else t.unknown_cost++;
  }
  for (const t of rows.values()) t.cost_usd = Math.round(t.cost_usd * 1e10) / 1e10;
  return rows;
}

describe('switchyard usage: the reading path equals a JSON.parse of every line', () => {
  let dir: string;
  let text: string;
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'usage-fast-'));
    text = awkwardText();
    writeFileSync(path.join(dir, 'usage-2026-11-22.jsonl'), text);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const by of ['key', 'model', 'provider', 'day'] as GroupBy[]) {
    it(`--by ${by}: same rows and totals`, async () => {
      const report = await aggregateUsage(dir, by);
      const expected = reference(text, by);
      expect(new Map(report.rows.map(({ group, ...t }) => [group, t]))).to.deep.equal(expected);
      expect(report.skipped_lines).to.equal(6);
    });
  }

  it('hands over the same lines whatever the read size, growing for long lines and bounding them', async () => {
    const file = path.join(dir, 'usage-2026-11-22.jsonl');
    const expected = text.split('\n').map((l) => l.replace(/\r$/, ''));
    for (const chunkBytes of [64, 1000, 1 << 20]) {
      const seen: string[] = [];
      const end = await readLines(file, (l) => seen.push(l), { chunkBytes, includeUnterminated: true });
      expect(seen, `chunk ${chunkBytes}`).to.deep.equal(expected);
      expect(end).to.equal(Buffer.byteLength(text));
    }
    // Without includeUnterminated the unfinished last line waits; a line over the bound is reported, not held.
    const seen: { l: string; tooLong: boolean }[] = [];
    const end = await readLines(file, (l, tooLong) => seen.push({ l, tooLong }), { chunkBytes: 4096, maxLineBytes: 65536 });
    expect(end).to.equal(Buffer.byteLength(text) - Buffer.byteLength(expected[expected.length - 1]!));
    expect(seen.filter((s) => s.tooLong)).to.have.length(1);
    expect(seen.map((s) => s.l)).to.deep.equal(expected.slice(0, -1).map((l) => (l.length > 65536 ? '' : l)));
  });
});
