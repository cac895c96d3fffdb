// `switchyard usage`: aggregate usage-YYYY-MM-DD.jsonl files by key, model,
// provider or day over a date range. Files are picked by the date in their
// name, then each line is filtered by its own `ts`; files are streamed in
// large reads, so memory stays constant whatever their size (only one row per
// group is held). Each line's fields are read by the targeted scanner
// (telemetry/usage-line-scan.ts), with JSON.parse for anything unusual.
// Several folders (one per replica, or per pod volume) are read as one log:
// `--dir` repeats, takes a comma list, and expands globs.

import { promises as fs } from 'node:fs';
import path from 'node:path';
import { readLines } from '../telemetry/usage-file-lines.ts';
import { emptyFields, readUsageFields, type UsageFields } from '../telemetry/usage-line-scan.ts';
import { parseCommandArgs, runCommand, UsageError, type CommandIO } from './command.ts';

const help = `usage: switchyard usage [--dir DIR]... [--since DATE] [--until DATE] [--by key|model|provider|day] [--format table|csv|json]

Aggregate the usage log: requests, errors, input/output/cached/cache-write/reasoning tokens and cost.

options:
  --dir DIR        folder holding usage-YYYY-MM-DD.jsonl (default: $SWITCHYARD_USAGE_DIR, else ./usage);
                   repeat it, give a comma list, or a glob ('/mnt/usage/*') to read the
                   folders of several replicas as one log
  --since DATE     first UTC day (YYYY-MM-DD) or instant (ISO 8601), inclusive
  --until DATE     last UTC day (YYYY-MM-DD) or instant (ISO 8601), inclusive
  --by FIELD       key | model | provider | day (default: model)
  --format FORMAT  table | csv | json (default: table)
  -h, --help       show this help

Cost sums the requests whose cost is known; "unknown_cost" counts those whose
provider reported no usage or whose model has no price.
`;

export type GroupBy = 'key' | 'model' | 'provider' | 'day';
export type OutputFormat = 'table' | 'csv' | 'json';

export interface UsageTotals {
  requests: number;
  errors: number;
  input_tokens: number;
  output_tokens: number;
  cached_tokens: number;
  cache_write_tokens: number;
  reasoning_tokens: number;
  cost_usd: number;
  /** Requests whose cost_usd is null. */
  unknown_cost: number;
}

export interface UsageReport {
  by: GroupBy;
  /** ISO instants bounding the range, inclusive; null when open. */
  since: string | null;
  until: string | null;
  rows: (UsageTotals & { group: string })[];
  total: UsageTotals;
  /** Lines that were not valid usage lines. */
  skipped_lines: number;
}

interface Range {
  sinceMs: number | null;
  untilMs: number | null;
  sinceDay: string | null;
  untilDay: string | null;
}

const datePattern = /^\d{4}-\d{2}-\d{2}$/;
const filePattern = /^usage-(\d{4}-\d{2}-\d{2})\.jsonl$/;
const dayMs = 86_400_000;
const none = '(none)';

const columns: (keyof UsageTotals)[] = [
  'requests', 'errors', 'input_tokens', 'output_tokens', 'cached_tokens', 'cache_write_tokens', 'reasoning_tokens', 'cost_usd', 'unknown_cost',
];
const tokenFields = ['input_tokens', 'output_tokens', 'cached_tokens', 'cache_write_tokens', 'reasoning_tokens'] as const;

/** Parses a --since/--until value into epoch ms; a bare date means the start (since) or end (until) of that UTC day. */
function parseBound(flag: string, value: string, end: boolean): number {
  if (datePattern.test(value)) {
    const start = Date.parse(`${value}T00:00:00.000Z`);
    if (Number.isNaN(start) || new Date(start).toISOString().slice(0, 10) !== value) throw new UsageError(`${flag}: not a valid date: ${value}`);
    return end ? start + dayMs - 1 : start;
  }
  if (!/^\d{4}-\d{2}-\d{2}T/.test(value)) throw new UsageError(`${flag}: expected YYYY-MM-DD or an ISO 8601 timestamp, got: ${value}`);
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new UsageError(`${flag}: not a valid timestamp: ${value}`);
  return ms;
}

function emptyTotals(): UsageTotals {
  return { requests: 0, errors: 0, input_tokens: 0, output_tokens: 0, cached_tokens: 0, cache_write_tokens: 0, reasoning_tokens: 0, cost_usd: 0, unknown_cost: 0 };
}

function count(n: unknown): number {
  return typeof n === 'number' && Number.isFinite(n) ? n : 0;
}

function addLine(t: UsageTotals, line: UsageFields): void {
  t.requests += 1;
  if (line.error !== null && line.error !== undefined) t.errors += 1;
  for (const f of tokenFields) t[f] += count(line[f]);
  if (typeof line.cost_usd === 'number' && Number.isFinite(line.cost_usd)) t.cost_usd += line.cost_usd;
  else t.unknown_cost += 1;
}

function groupOf(line: UsageFields, by: GroupBy, ms: number, ts: string): string {
  if (by === 'day') return canonicalTs.test(ts) && !ts.startsWith('24', 11) ? ts.slice(0, 10) : new Date(ms).toISOString().slice(0, 10);
  const value = line[by];
  return typeof value === 'string' && value !== '' ? value : none;
}

/** The gateway's own ts form (toISOString): its instant can be read without Date.parse. */
const canonicalTs = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/**
 * Date.parse, one call per minute of lines: the usage log is in time order,
 * so the minute prefix repeats and only seconds and milliseconds change.
 */
class TimestampReader {
  private minute = '';
  private minuteMs = NaN;

  ms(ts: string): number {
    // Hour 24 is valid only as 24:00:00.000: leave it, and anything unusual, to Date.parse.
    if (!canonicalTs.test(ts) || ts.startsWith('24', 11)) return Date.parse(ts);
    const seconds = (ts.charCodeAt(17) - 48) * 10 + (ts.charCodeAt(18) - 48);
    if (seconds > 59) return Date.parse(ts);
    if (this.minute === '' || !ts.startsWith(this.minute)) {
      this.minute = ts.slice(0, 16);
      this.minuteMs = Date.parse(`${this.minute}:00.000Z`);
    }
    if (Number.isNaN(this.minuteMs)) return NaN;
    const millis = (ts.charCodeAt(20) - 48) * 100 + (ts.charCodeAt(21) - 48) * 10 + (ts.charCodeAt(22) - 48);
    return this.minuteMs + seconds * 1000 + millis;
  }
}

/** Aggregates every usage file in `dir` (or each of `dirs`) within the range. Throws on an unreadable dir or file. */
export async function aggregateUsage(
  dirs: string | string[],
  by: GroupBy,
  range: { since?: number | null; until?: number | null } = {},
  onSkipped?: (file: string, lineNumber: number) => void,
): Promise<UsageReport> {
  // Files are chosen by the day in their name with one day of slack on each
  // side, so a line stamped just before midnight but flushed into the next
  // day's file (by another writer, or a clock step) is still found; lines are
  // then filtered by their own ts.
  const r: Range = {
    sinceMs: range.since ?? null,
    untilMs: range.until ?? null,
    sinceDay: range.since == null ? null : new Date(range.since - dayMs).toISOString().slice(0, 10),
    untilDay: range.until == null ? null : new Date(range.until + dayMs).toISOString().slice(0, 10),
  };
  const inRange = (name: string) => {
    const m = filePattern.exec(name);
    if (!m) return false;
    const day = m[1]!;
    return (r.sinceDay === null || day >= r.sinceDay) && (r.untilDay === null || day <= r.untilDay);
  };
  const files: string[] = [];
  for (const dir of typeof dirs === 'string' ? [dirs] : dirs) {
    for (const name of (await fs.readdir(dir)).filter(inRange).sort()) files.push(path.join(dir, name));
  }

  const groups = new Map<string, UsageTotals>();
  const total = emptyTotals();
  let skipped = 0;
  const fields = emptyFields();
  const timestamps = new TimestampReader();
  for (const file of files) {
    let lineNumber = 0;
    await readLines(file, (text, tooLong) => {
      lineNumber += 1;
      if (!tooLong && (text.length === 0 || (text.charCodeAt(0) !== 123 && text.trim() === ''))) return;
      const ok = !tooLong && readUsageFields(text, fields);
      const ts = ok ? fields.ts : undefined;
      const ms = typeof ts === 'string' ? timestamps.ms(ts) : NaN;
      if (Number.isNaN(ms) || typeof ts !== 'string') {
        skipped += 1;
        onSkipped?.(file, lineNumber);
        return;
      }
      if ((r.sinceMs !== null && ms < r.sinceMs) || (r.untilMs !== null && ms > r.untilMs)) return;
      const group = groupOf(fields, by, ms, ts);
      let totals = groups.get(group);
      if (!totals) groups.set(group, (totals = emptyTotals()));
      addLine(totals, fields);
      addLine(total, fields);
    }, { includeUnterminated: true });
  }
  const rows = [...groups.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([group, totals]) => ({ group, ...roundCost(totals) }));
  return {
    by,
    since: r.sinceMs === null ? null : new Date(r.sinceMs).toISOString(),
    until: r.untilMs === null ? null : new Date(r.untilMs).toISOString(),
    rows,
    total: roundCost(total),
    skipped_lines: skipped,
  };
}

/** Sums of many small floats pick up noise in the last digits; 10 decimals is far below a cent. */
function roundCost(t: UsageTotals): UsageTotals {
  return { ...t, cost_usd: Math.round(t.cost_usd * 1e10) / 1e10 };
}

function csvField(value: string): string {
  return /[",\n\r]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

function formatCsv(report: UsageReport): string {
  const lines = [[report.by, ...columns].join(',')];
  for (const row of report.rows) lines.push([csvField(row.group), ...columns.map((c) => String(row[c]))].join(','));
  return lines.join('\n') + '\n';
}

function formatCell(column: keyof UsageTotals, value: number): string {
  if (column === 'cost_usd') return value.toFixed(6);
  return value.toLocaleString('en-US');
}

function formatTable(report: UsageReport): string {
  const header = [report.by, ...columns];
  const body = report.rows.map((row) => [row.group, ...columns.map((c) => formatCell(c, row[c]))]);
  body.push(['TOTAL', ...columns.map((c) => formatCell(c, report.total[c]))]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  const render = (cells: string[]) => cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ').trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  const out = [render(header), rule, ...body.slice(0, -1).map(render), rule, render(body[body.length - 1]!)];
  return out.join('\n') + '\n';
}

/**
 * Absolute folders for the --dir values: a value with a glob character is
 * expanded (folders only; matching nothing is not an error by itself), any
 * other value is kept as given so a missing folder is reported by name. The
 * same folder named twice (a glob and a path) is read once.
 */
export async function resolveDirs(values: string[]): Promise<string[]> {
  const out = new Set<string>();
  for (const value of values) {
    if (!/[*?[{]/.test(value)) { out.add(path.resolve(value)); continue; }
    const matches: string[] = [];
    for await (const match of fs.glob(value)) matches.push(path.resolve(match));
    for (const match of matches.sort()) {
      if ((await fs.stat(match).catch(() => undefined))?.isDirectory()) out.add(match);
    }
  }
  return [...out];
}

export function formatUsage(report: UsageReport, format: OutputFormat): string {
  if (format === 'json') return JSON.stringify(report, null, 2) + '\n';
  if (format === 'csv') return formatCsv(report);
  return formatTable(report);
}

export async function main(args: string[], io: CommandIO): Promise<number> {
  return runCommand(io, help, async () => {
    const { values } = parseCommandArgs(
      args,
      {
        dir: { type: 'string', multiple: true },
        since: { type: 'string' },
        until: { type: 'string' },
        by: { type: 'string' },
        format: { type: 'string' },
      },
      false,
    );
    if (values.help) {
      io.stdout.write(help);
      return 0;
    }
    const by = (values.by ?? 'model') as GroupBy;
    if (!['key', 'model', 'provider', 'day'].includes(by)) throw new UsageError(`--by must be key, model, provider or day, got: ${by}`);
    const format = (values.format ?? 'table') as OutputFormat;
    if (!['table', 'csv', 'json'].includes(format)) throw new UsageError(`--format must be table, csv or json, got: ${format}`);
    const since = values.since === undefined ? null : parseBound('--since', values.since, false);
    const until = values.until === undefined ? null : parseBound('--until', values.until, true);
    if (since !== null && until !== null && since > until) throw new UsageError('--since is after --until');
    const given = values.dir ?? [process.env.SWITCHYARD_USAGE_DIR ?? 'usage'];
    const dirs = await resolveDirs(given.flatMap((d) => d.split(',')).map((d) => d.trim()).filter(Boolean));
    if (dirs.length === 0) {
      io.stderr.write(`error: cannot read usage dir: nothing matches ${given.join(', ')}\n`);
      return 1;
    }

    for (const dir of dirs) {
      try {
        const stat = await fs.stat(dir);
        if (!stat.isDirectory()) throw new Error('not a directory');
      } catch (err) {
        io.stderr.write(`error: cannot read usage dir ${dir}: ${err instanceof Error ? err.message : String(err)}\n`);
        return 1;
      }
    }

    const examples: string[] = [];
    const report = await aggregateUsage(dirs, by, { since, until }, (file, lineNumber) => {
      if (examples.length < 5) examples.push(dirs.length > 1 ? `${file}:${lineNumber}` : `${path.basename(file)}:${lineNumber}`);
    });
    if (report.skipped_lines > 0) {
      io.stderr.write(`warning: skipped ${report.skipped_lines} malformed line(s) (${examples.join(', ')}${report.skipped_lines > examples.length ? ', ...' : ''})\n`);
    }
    io.stdout.write(formatUsage(report, format));
    return 0;
  });
}
