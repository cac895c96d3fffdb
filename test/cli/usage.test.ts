import { expect } from 'chai';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { main, type GroupBy, type UsageTotals } from '../../src/cli/usage.ts';

const fixtures = path.resolve(import.meta.dirname, '../fixtures/usage');

const numericColumns: (keyof UsageTotals)[] = [
  'requests', 'errors', 'input_tokens', 'output_tokens', 'cached_tokens', 'cache_write_tokens', 'reasoning_tokens', 'cost_usd', 'unknown_cost',
];

function sink(): { stream: Writable; text: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      text += chunk.toString('utf8');
      done();
    },
  });
  return { stream, text: () => text };
}

async function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = sink();
  const err = sink();
  const code = await main(args, { stdout: out.stream, stderr: err.stream });
  return { code, stdout: out.text(), stderr: err.text() };
}

/** Every well-formed usage line of the fixture folder, read without the code under test. */
function fixtureLines(): Record<string, unknown>[] {
  const lines: Record<string, unknown>[] = [];
  for (const name of readdirSync(fixtures)) {
    if (!/^usage-\d{4}-\d{2}-\d{2}\.jsonl$/.test(name)) continue;
    for (const text of readFileSync(path.join(fixtures, name), 'utf8').split('\n')) {
      try {
        const parsed: unknown = JSON.parse(text);
        if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) lines.push(parsed as Record<string, unknown>);
      } catch {
        // malformed on purpose
      }
    }
  }
  return lines;
}

/** The expected report, summed straight from the lines. */
function expected(by: GroupBy, since = -Infinity, until = Infinity): { rows: Map<string, UsageTotals>; total: UsageTotals } {
  const zero = (): UsageTotals => ({ requests: 0, errors: 0, input_tokens: 0, output_tokens: 0, cached_tokens: 0, cache_write_tokens: 0, reasoning_tokens: 0, cost_usd: 0, unknown_cost: 0 });
  const rows = new Map<string, UsageTotals>();
  const total = zero();
  for (const line of fixtureLines()) {
    const ms = Date.parse(line.ts as string);
    if (ms < since || ms > until) continue;
    const group = by === 'day' ? (line.ts as string).slice(0, 10) : ((line[by] as string | null) ?? '(none)');
    if (!rows.has(group)) rows.set(group, zero());
    for (const t of [rows.get(group)!, total]) {
      t.requests += 1;
      if (line.error !== null) t.errors += 1;
      t.input_tokens += line.input_tokens as number;
      t.output_tokens += line.output_tokens as number;
      t.cached_tokens += line.cached_tokens as number;
      t.cache_write_tokens += line.cache_write_tokens as number;
      t.reasoning_tokens += line.reasoning_tokens as number;
      if (line.cost_usd === null) t.unknown_cost += 1;
      else t.cost_usd += line.cost_usd as number;
    }
  }
  return { rows, total };
}

function expectTotals(actual: Record<string, number>, wanted: UsageTotals, costTolerance: number, where: string): void {
  for (const c of numericColumns) {
    if (c === 'cost_usd') expect(actual[c], `${where} ${c}`).to.be.closeTo(wanted[c], costTolerance);
    else expect(actual[c], `${where} ${c}`).to.equal(wanted[c]);
  }
}

describe('switchyard usage', () => {
  it('the fixture has the cases worth testing', () => {
    const lines = fixtureLines();
    expect(lines.length).to.be.greaterThan(90);
    expect(lines.some((l) => l.cost_usd === null)).to.equal(true);
    expect(lines.some((l) => l.error !== null)).to.equal(true);
    expect(lines.some((l) => l.provider === null)).to.equal(true);
    for (const field of ['cached_tokens', 'cache_write_tokens', 'reasoning_tokens']) {
      expect(lines.some((l) => (l[field] as number) > 0), field).to.equal(true);
    }
  });

  for (const by of ['key', 'model', 'provider', 'day'] as const) {
    describe(`--by ${by}`, () => {
      const want = () => expected(by);

      it('json totals equal the sums of the lines', async () => {
        const { code, stdout } = await run(['--dir', fixtures, '--by', by, '--format', 'json']);
        expect(code).to.equal(0);
        const report = JSON.parse(stdout) as { by: string; rows: (UsageTotals & { group: string })[]; total: UsageTotals; skipped_lines: number };
        const { rows, total } = want();
        expect(report.by).to.equal(by);
        expect(report.rows.map((r) => r.group)).to.deep.equal([...rows.keys()].sort());
        for (const row of report.rows) expectTotals(row as unknown as Record<string, number>, rows.get(row.group)!, 1e-9, row.group);
        expectTotals(report.total as unknown as Record<string, number>, total, 1e-9, 'total');
        expect(report.skipped_lines).to.equal(2);
      });

      it('csv rows equal the sums of the lines', async () => {
        const { code, stdout } = await run(['--dir', fixtures, '--by', by, '--format', 'csv']);
        expect(code).to.equal(0);
        const [header, ...body] = stdout.trimEnd().split('\n');
        expect(header!.split(',')).to.deep.equal([by, ...numericColumns]);
        const { rows } = want();
        expect(body).to.have.length(rows.size);
        for (const text of body) {
          const cells = text.split(',');
          const actual = Object.fromEntries(numericColumns.map((c, i) => [c, Number(cells[i + 1])]));
          expectTotals(actual, rows.get(cells[0]!)!, 1e-9, cells[0]!);
        }
      });

      it('table rows and the TOTAL row equal the sums of the lines', async () => {
        const { code, stdout } = await run(['--dir', fixtures, '--by', by]);
        expect(code).to.equal(0);
        const lines = stdout.trimEnd().split('\n');
        expect(lines[0]!.split(/\s{2,}/)).to.deep.equal([by, ...numericColumns]);
        const parsed = lines
          .filter((l) => !/^-+/.test(l))
          .slice(1)
          .map((l) => l.split(/\s{2,}/));
        const { rows, total } = want();
        expect(parsed).to.have.length(rows.size + 1);
        for (const cells of parsed) {
          const actual = Object.fromEntries(numericColumns.map((c, i) => [c, Number(cells[i + 1]!.replace(/,/g, ''))]));
          const wanted = cells[0] === 'TOTAL' ? total : rows.get(cells[0]!)!;
          expect(wanted, `row ${cells[0]}`).to.not.equal(undefined);
          expectTotals(actual, wanted, 1e-6, cells[0]!); // the table shows cost to 6 decimals
        }
      });
    });
  }

  it('--since/--until as dates are whole UTC days, inclusive', async () => {
    const { stdout } = await run(['--dir', fixtures, '--by', 'day', '--since', '2026-11-22', '--until', '2026-11-22', '--format', 'json']);
    const report = JSON.parse(stdout) as { rows: (UsageTotals & { group: string })[]; total: UsageTotals };
    const { rows } = expected('day');
    expect(report.rows.map((r) => r.group)).to.deep.equal(['2026-11-22']);
    expectTotals(report.total as unknown as Record<string, number>, rows.get('2026-11-22')!, 1e-9, '2026-11-22');
  });

  it('finds a line stamped just before midnight in the next day file', async () => {
    const { stdout } = await run(['--dir', fixtures, '--by', 'day', '--since', '2026-11-21', '--until', '2026-11-21', '--format', 'json']);
    const report = JSON.parse(stdout) as { total: UsageTotals };
    expect(report.total.requests).to.equal(expected('day').rows.get('2026-11-21')!.requests);
  });

  it('--since/--until as ISO timestamps filter lines by ts', async () => {
    const since = '2026-11-22T06:00:00Z';
    const until = '2026-11-23T06:00:00.000Z';
    const { stdout } = await run(['--dir', fixtures, '--by', 'model', '--since', since, '--until', until, '--format', 'json']);
    const report = JSON.parse(stdout) as { rows: (UsageTotals & { group: string })[]; total: UsageTotals; since: string; until: string };
    const { rows, total } = expected('model', Date.parse(since), Date.parse(until));
    expect(report.since).to.equal('2026-11-22T06:00:00.000Z');
    expect(report.rows.map((r) => r.group)).to.deep.equal([...rows.keys()].sort());
    expectTotals(report.total as unknown as Record<string, number>, total, 1e-9, 'total');
    expect(total.requests).to.be.greaterThan(0).and.lessThan(expected('model').total.requests);
  });

  it('warns on stderr about malformed lines and skips them', async () => {
    const { code, stderr } = await run(['--dir', fixtures, '--format', 'csv']);
    expect(code).to.equal(0);
    expect(stderr).to.match(/skipped 2 malformed line\(s\)/);
    expect(stderr).to.include('usage-2026-11-22.jsonl:');
  });

  it('reads the dir from SWITCHYARD_USAGE_DIR', async () => {
    const previous = process.env.SWITCHYARD_USAGE_DIR;
    process.env.SWITCHYARD_USAGE_DIR = fixtures;
    try {
      const { code, stdout } = await run(['--format', 'json']);
      expect(code).to.equal(0);
      expect((JSON.parse(stdout) as { total: UsageTotals }).total.requests).to.equal(expected('model').total.requests);
    } finally {
      if (previous === undefined) delete process.env.SWITCHYARD_USAGE_DIR;
      else process.env.SWITCHYARD_USAGE_DIR = previous;
    }
  });

  it('reports zeros for an empty dir', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'switchyard-usage-empty-'));
    try {
      const { code, stdout } = await run(['--dir', dir, '--format', 'json']);
      expect(code).to.equal(0);
      const report = JSON.parse(stdout) as { rows: unknown[]; total: UsageTotals };
      expect(report.rows).to.deep.equal([]);
      expect(report.total.requests).to.equal(0);
    } finally {
      rmSync(dir, { recursive: true });
    }
  });

  describe('several folders (one per replica)', () => {
    let root = '';
    const lines = () => readdirSync(fixtures).filter((n) => /^usage-\d{4}-\d{2}-\d{2}\.jsonl$/.test(n))
      .flatMap((n) => readFileSync(path.join(fixtures, n), 'utf8').split('\n').filter(Boolean).map((line) => ({ name: n, line })));

    beforeEach(() => {
      // The fixture lines dealt to three replica folders round-robin (same file names, as
      // every replica writes usage-DAY.jsonl), plus a spend checkpoint the report must skip.
      root = mkdtempSync(path.join(os.tmpdir(), 'switchyard-usage-replicas-'));
      const all = lines();
      for (let replica = 0; replica < 3; replica++) {
        const dir = path.join(root, `gw-${replica}`);
        mkdirSync(dir);
        const mine = all.filter((_, i) => i % 3 === replica);
        for (const name of new Set(mine.map((l) => l.name))) {
          writeFileSync(path.join(dir, name), mine.filter((l) => l.name === name).map((l) => l.line).join('\n') + '\n');
        }
        writeFileSync(path.join(dir, 'spend-checkpoint.json'), '{}');
      }
      mkdirSync(path.join(root, 'single'));
      for (const name of readdirSync(fixtures).filter((n) => /^usage-\d{4}-\d{2}-\d{2}\.jsonl$/.test(n))) copyFileSync(path.join(fixtures, name), path.join(root, 'single', name));
    });
    afterEach(() => rmSync(root, { recursive: true, force: true }));

    const report = async (args: string[]) => {
      const r = await run([...args, '--by', 'key', '--format', 'json']);
      expect(r.code, r.stderr).to.equal(0);
      return JSON.parse(r.stdout) as { rows: unknown[]; total: UsageTotals };
    };

    it('sums repeated --dir, a comma list and a glob to the same report as one folder with every line', async () => {
      const expected = await report(['--dir', path.join(root, 'single')]);
      expect(expected.total.requests).to.be.greaterThan(3);
      const dirs = [0, 1, 2].map((i) => path.join(root, `gw-${i}`));
      expect(await report(dirs.flatMap((d) => ['--dir', d]))).to.deep.equal(expected);
      expect(await report(['--dir', dirs.join(',')])).to.deep.equal(expected);
      expect(await report(['--dir', path.join(root, 'gw-*')])).to.deep.equal(expected);
      // A folder named twice (glob and path) is read once.
      expect(await report(['--dir', path.join(root, 'gw-*'), '--dir', dirs[0]!])).to.deep.equal(expected);
    });

    it('exits 1 naming the folder when one of them cannot be read, or a glob matches none', async () => {
      const missing = await run(['--dir', `${path.join(root, 'gw-0')},${path.join(root, 'gw-9')}`]);
      expect(missing.code).to.equal(1);
      expect(missing.stderr).to.include(path.join(root, 'gw-9'));
      const none = await run(['--dir', path.join(root, 'nothing-*')]);
      expect(none.code).to.equal(1);
      expect(none.stderr).to.match(/nothing matches/);
    });
  });

  it('exits 1 when the dir cannot be read', async () => {
    const { code, stderr } = await run(['--dir', path.join(fixtures, 'does-not-exist')]);
    expect(code).to.equal(1);
    expect(stderr).to.match(/cannot read usage dir/);
  });

  for (const args of [
    ['--by', 'team'],
    ['--format', 'xml'],
    ['--since', 'yesterday'],
    ['--until', '2026-02-30'],
    ['--since', '2026-11-23', '--until', '2026-11-22'],
    ['--frobnicate'],
    ['extra-positional'],
  ]) {
    it(`exits 2 on bad usage: ${args.join(' ')}`, async () => {
      const { code, stderr, stdout } = await run(['--dir', fixtures, ...args]);
      expect(code).to.equal(2);
      expect(stderr).to.match(/^error: /);
      expect(stderr).to.include('usage: switchyard usage');
      expect(stdout).to.equal('');
    });
  }

  it('prints help with --help', async () => {
    const { code, stdout } = await run(['--help']);
    expect(code).to.equal(0);
    expect(stdout).to.include('--by FIELD');
  });
});
