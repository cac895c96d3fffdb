import { expect } from 'chai';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { recoverSpend } from '../../src/limits/budget-recovery.ts';
import { checkpointName, SpendLedger } from '../../src/limits/spend-ledger.ts';

const now = new Date('2026-12-05T12:00:00.000Z');

function line(i: number, day: string): string {
  return JSON.stringify({
    ts: `${day}T${String(i % 24).padStart(2, '0')}:00:00.${String(i % 1000).padStart(3, '0')}Z`, request_id: `r${i}`, key: `k${i % 3}`,
    route: 'chat_completions', model: 'm', provider: 'p', upstream_model: 'u', status: 200, stream: false, attempts: [], latency_ms: 1, ttft_ms: null,
    input_tokens: 1, output_tokens: 1, cached_tokens: 0, cache_write_tokens: 0, reasoning_tokens: 0, overhead_ms: 0.1,
    // Awkward binary fractions: a different summation order would show in the last bits.
    cost_usd: i % 11 === 0 ? null : 0.1 + i * 1e-7 / 3, config_version: 'v', error: null,
  }) + '\n';
}

function fill(dir: string, day: string, from: number, to: number): void {
  let text = '';
  for (let i = from; i < to; i++) text += line(i, day);
  appendFileSync(path.join(dir, `usage-${day}.jsonl`), text);
}

describe('spend ledger and its checkpoint', () => {
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(path.join(os.tmpdir(), 'spend-ledger-')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('checkpoint + the lines after it give exactly the spend of a full scan', async () => {
    fill(dir, '2026-11-30', 0, 500); // in the ISO week of Dec 5 (from Monday Nov 30), not in its month
    fill(dir, '2026-12-01', 0, 700);
    fill(dir, '2026-12-05', 0, 300);
    const first = await SpendLedger.open(dir, now);
    expect(first.fromCheckpoint).to.equal(false);
    await first.ledger.save(now.getTime());
    fill(dir, '2026-12-05', 300, 900);
    appendFileSync(path.join(dir, 'usage-2026-12-05.jsonl'), line(901, '2026-12-05').slice(0, 40)); // a torn last line
    const second = await SpendLedger.open(dir, now);
    expect(second.fromCheckpoint).to.equal(true);
    const scanned = await recoverSpend(dir, now);
    expect(second.spend).to.deep.equal(scanned); // deep equal on doubles: bit for bit
    expect(scanned.get('k1')!.week).to.be.greaterThan(scanned.get('k1')!.month);
  });

  it('a running ledger catches up and its checkpoint is what a scan would give at start', async () => {
    fill(dir, '2026-12-05', 0, 100);
    const { ledger } = await SpendLedger.open(dir, now);
    fill(dir, '2026-12-05', 100, 250);
    await ledger.catchUp(now.getTime());
    await ledger.save(now.getTime());
    expect(ledger.spendAt(now.getTime())).to.deep.equal(await recoverSpend(dir, now));
    const cp = JSON.parse(readFileSync(path.join(dir, checkpointName), 'utf8'));
    expect(cp.version).to.equal(1);
    expect(cp.files['usage-2026-12-05.jsonl'].bytes).to.equal(readFileSync(path.join(dir, 'usage-2026-12-05.jsonl')).length);
    expect(Object.keys(cp.spend.k0).sort()).to.deep.equal(['day:2026-12-05', 'month:2026-12', 'week:2026-11-30']);
  });

  for (const [what, damage] of [
    ['not JSON', (d: string) => writeFileSync(path.join(d, checkpointName), '{"version":1,"files":{')],
    ['another version', (d: string) => writeFileSync(path.join(d, checkpointName), '{"version":99,"files":{},"spend":{}}')],
    ['a file shorter than its offset', (d: string) => truncateSync(path.join(d, 'usage-2026-12-05.jsonl'), 1000)],
    ['an offset inside a line', (d: string) => {
      const cp = JSON.parse(readFileSync(path.join(d, checkpointName), 'utf8'));
      cp.files['usage-2026-12-05.jsonl'].bytes -= 5;
      writeFileSync(path.join(d, checkpointName), JSON.stringify(cp));
    }],
    ['a covered file gone', (d: string) => rmSync(path.join(d, 'usage-2026-12-01.jsonl'))],
  ] as const) {
    it(`a checkpoint with ${what} is ignored: full scan, same spend`, async () => {
      fill(dir, '2026-12-01', 0, 50);
      fill(dir, '2026-12-05', 0, 50);
      const { ledger } = await SpendLedger.open(dir, now);
      await ledger.save(now.getTime());
      damage(dir);
      const reopened = await SpendLedger.open(dir, now);
      expect(reopened.fromCheckpoint).to.equal(false);
      expect(reopened.spend).to.deep.equal(await recoverSpend(dir, now));
    });
  }
});
