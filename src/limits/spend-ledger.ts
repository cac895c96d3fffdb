// Budget spend kept as a running sum over the usage log, with a checkpoint
// beside the usage files so a restart reads only the lines written after it
// (spec 7.4: start-up does not grow with the usage log).
//
// The ledger is the full scan made incremental: per key and budget period
// (day:…, week:…, month:… ids) the sum of `cost_usd` over every line read so
// far, in file order, and per usage file the byte offset read up to (always
// just after a "\n"). Start-up loads the checkpoint and reads each file from
// its offset; the sums are added in the same order as a scan from zero, so
// the spend is the very same double. While serving, the ledger reads the new
// complete lines every few seconds and rewrites the checkpoint (temp file +
// rename, so it is never half-written), and once more at shutdown. After a
// kill -9 the lines written since the last checkpoint are simply read again.
//
// A checkpoint that is missing, unreadable, of another version, or that does
// not fit the files (a file shorter than its offset, an offset not at a line
// start, a file it covered now gone) is ignored with a warning: full scan.
//
// spend-checkpoint.json:
//   {"version":1,"written_at":"2026-12-05T12:00:00.000Z",
//    "files":{"usage-2026-12-05.jsonl":{"bytes":123456}},
//    "spend":{"search-team":{"day:2026-12-05":1.25,"week:2026-11-30":8.5,"month:2026-12":9.75}}}

import { promises as fs } from 'node:fs';
import path from 'node:path';
import { log } from '../telemetry/logger.ts';
import { readLines } from '../telemetry/usage-file-lines.ts';
import { emptyFields, readUsageFields } from '../telemetry/usage-line-scan.ts';
import { budgetPeriodWindow } from './budget-period.ts';
import type { PeriodSpend } from './limiter.ts';

export const checkpointName = 'spend-checkpoint.json';
const checkpointVersion = 1;
const filePattern = /^usage-(\d{4}-\d{2}-\d{2})\.jsonl$/;
const periods = ['day', 'week', 'month'] as const;

interface Checkpoint {
  version: number;
  written_at: string;
  files: Record<string, { bytes: number }>;
  spend: Record<string, Record<string, number>>;
}

/** The name of the oldest usage file whose lines can fall in the budget periods containing `at`. */
function firstFileInRange(at: number): string {
  const week = budgetPeriodWindow('week', at);
  const month = budgetPeriodWindow('month', at);
  return `usage-${new Date(Math.min(week.startMs, month.startMs)).toISOString().slice(0, 10)}.jsonl`;
}

/** The usage files whose lines can fall in the budget periods containing `at`, oldest first. */
async function filesInRange(dir: string, at: number): Promise<string[]> {
  const day = budgetPeriodWindow('day', at);
  const week = budgetPeriodWindow('week', at);
  const month = budgetPeriodWindow('month', at);
  const firstDay = new Date(Math.min(week.startMs, month.startMs)).toISOString().slice(0, 10);
  const lastDay = new Date(day.startMs).toISOString().slice(0, 10);
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  return names
    .filter((name) => {
      const date = filePattern.exec(name)?.[1];
      return date !== undefined && date >= firstDay && date <= lastDay;
    })
    .sort();
}

export class SpendLedger {
  readonly dir: string;
  /** key name -> period id -> USD. */
  private readonly sums = new Map<string, Map<string, number>>();
  /** usage file name -> bytes read (a line start). */
  private readonly offsets = new Map<string, number>();
  /** Period ids of a UTC day, by its epoch ms. */
  private readonly periodIds = new Map<number, readonly string[]>();
  private readonly fields = emptyFields();
  private skipped = 0;
  private chain: Promise<void> = Promise.resolve();

  private constructor(dir: string) {
    this.dir = path.resolve(dir);
  }

  /**
   * Start-up: the checkpoint plus the lines after it (or a full scan), and the
   * spend of the periods containing `now`. The spend also counts a last line
   * still missing its "\n" (as a scan would); the ledger reads it once the
   * usage log terminates it.
   */
  static async open(dir: string, now: Date, options: { useCheckpoint?: boolean } = {}): Promise<{ ledger: SpendLedger; spend: Map<string, PeriodSpend>; fromCheckpoint: boolean }> {
    const at = now.getTime();
    let ledger = new SpendLedger(dir);
    const files = await filesInRange(ledger.dir, at);
    let fromCheckpoint = false;
    if (options.useCheckpoint !== false) {
      fromCheckpoint = await ledger.load(files, firstFileInRange(at));
      if (!fromCheckpoint) ledger = new SpendLedger(dir);
    }
    const tails = new SpendLedger(dir);
    for (const name of files) {
      const file = path.join(ledger.dir, name);
      const start = ledger.offsets.get(name) ?? 0;
      const end = await readLines(file, (text, tooLong) => ledger.add(text, tooLong), { start });
      ledger.offsets.set(name, end);
      await readLines(file, (text, tooLong) => tails.add(text, tooLong), { start: end, includeUnterminated: true });
    }
    if (ledger.skipped + tails.skipped > 0) log.warn('budget recovery skipped unreadable usage lines', { lines: ledger.skipped + tails.skipped, dir: ledger.dir });
    ledger.skipped = 0;
    const spend = ledger.spendAt(at);
    for (const [key, extra] of tails.spendAt(at)) {
      const s = spend.get(key) ?? { day: 0, week: 0, month: 0 };
      s.day += extra.day;
      s.week += extra.week;
      s.month += extra.month;
      spend.set(key, s);
    }
    return { ledger, spend, fromCheckpoint };
  }

  /** Spend per key in the periods containing `at` (keys with none are absent). */
  spendAt(at: number): Map<string, PeriodSpend> {
    const ids = periods.map((p) => budgetPeriodWindow(p, at).id);
    const out = new Map<string, PeriodSpend>();
    for (const [key, byPeriod] of this.sums) {
      const s = { day: byPeriod.get(ids[0]!) ?? 0, week: byPeriod.get(ids[1]!) ?? 0, month: byPeriod.get(ids[2]!) ?? 0 };
      if (s.day > 0 || s.week > 0 || s.month > 0) out.set(key, s);
    }
    return out;
  }

  /** Reads the complete lines appended since the last call. Never runs twice at once. */
  catchUp(now = Date.now()): Promise<void> {
    return this.serially(async () => {
      for (const name of await filesInRange(this.dir, now)) {
        const start = this.offsets.get(name) ?? 0;
        this.offsets.set(name, await readLines(path.join(this.dir, name), (text, tooLong) => this.add(text, tooLong), { start }));
      }
      this.skipped = 0; // counted and logged at start-up; the live path logs its own failures
    });
  }

  /** Writes the checkpoint atomically (temp file, fsync, rename). Periods already over are left out. */
  save(now = Date.now()): Promise<void> {
    return this.serially(async () => {
      const current = periods.map((p) => budgetPeriodWindow(p, now).id);
      const spend: Checkpoint['spend'] = {};
      for (const [key, byPeriod] of this.sums) {
        const kept: Record<string, number> = {};
        for (const [id, usd] of byPeriod) {
          // Ids of one kind compare as their ISO dates do.
          const kind = current.find((c) => c.startsWith(id.slice(0, id.indexOf(':') + 1)));
          if (kind !== undefined && id >= kind) kept[id] = usd;
          else byPeriod.delete(id);
        }
        if (Object.keys(kept).length > 0) spend[key] = kept;
      }
      const inRange = new Set(await filesInRange(this.dir, now));
      const files: Checkpoint['files'] = {};
      for (const [name, bytes] of this.offsets) {
        if (inRange.has(name)) files[name] = { bytes };
        else this.offsets.delete(name);
      }
      const body: Checkpoint = { version: checkpointVersion, written_at: new Date(now).toISOString(), files, spend };
      try {
        await fs.access(this.dir);
      } catch {
        return; // no usage folder (usage disabled): nothing to checkpoint
      }
      const target = path.join(this.dir, checkpointName);
      const temp = `${target}.${process.pid}.tmp`;
      const handle = await fs.open(temp, 'w');
      try {
        await handle.writeFile(JSON.stringify(body));
        await handle.sync();
      } finally {
        await handle.close();
      }
      await fs.rename(temp, target);
    });
  }

  private serially(work: () => Promise<void>): Promise<void> {
    const run = this.chain.then(work);
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** One line, as the first release's recovery read it: torn or foreign lines are skipped. */
  private add(text: string, tooLong: boolean): void {
    if (tooLong) { this.skipped++; return; }
    if (text.length === 0 || (text.charCodeAt(0) !== 123 && text.trim() === '')) return;
    const line = this.fields;
    if (!readUsageFields(text, line)) { this.skipped++; return; }
    const cost = line.cost_usd;
    if (typeof cost !== 'number' || !Number.isFinite(cost) || cost <= 0) return;
    if (typeof line.key !== 'string' || typeof line.ts !== 'string') { this.skipped++; return; }
    const ts = Date.parse(line.ts);
    if (Number.isNaN(ts)) { this.skipped++; return; }
    const dayStart = ts - (((ts % 86_400_000) + 86_400_000) % 86_400_000);
    let ids = this.periodIds.get(dayStart);
    if (!ids) {
      ids = periods.map((p) => budgetPeriodWindow(p, dayStart).id);
      if (this.periodIds.size > 1000) this.periodIds.clear();
      this.periodIds.set(dayStart, ids);
    }
    let byPeriod = this.sums.get(line.key);
    if (!byPeriod) this.sums.set(line.key, (byPeriod = new Map()));
    for (const id of ids) byPeriod.set(id, (byPeriod.get(id) ?? 0) + cost);
  }

  /** Adopts the checkpoint when it fits the files; false (with a warning) otherwise. */
  private async load(files: readonly string[], firstName: string): Promise<boolean> {
    const target = path.join(this.dir, checkpointName);
    let text: string;
    try {
      text = await fs.readFile(target, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        log.warn('no spend checkpoint; budget recovery scans the usage log', { dir: this.dir });
      } else {
        log.warn('spend checkpoint unreadable; budget recovery scans the usage log', { dir: this.dir, err: err as Error });
      }
      return false;
    }
    const problem = await this.adopt(text, files, firstName);
    if (problem !== undefined) {
      log.warn('spend checkpoint ignored; budget recovery scans the usage log', { dir: this.dir, reason: problem });
      this.sums.clear();
      this.offsets.clear();
      return false;
    }
    return true;
  }

  /** Fills the ledger from the checkpoint's text; the reason it does not fit, else undefined. */
  private async adopt(text: string, files: readonly string[], firstName: string): Promise<string | undefined> {
    let cp: Checkpoint;
    try {
      cp = JSON.parse(text) as Checkpoint;
    } catch {
      return 'not valid JSON';
    }
    if (cp === null || typeof cp !== 'object' || cp.version !== checkpointVersion) return 'unknown version';
    if (typeof cp.files !== 'object' || cp.files === null || typeof cp.spend !== 'object' || cp.spend === null) return 'missing files or spend';
    for (const [key, byPeriod] of Object.entries(cp.spend)) {
      if (typeof byPeriod !== 'object' || byPeriod === null) return `bad spend of ${key}`;
      const map = new Map<string, number>();
      for (const [id, usd] of Object.entries(byPeriod)) {
        if (typeof usd !== 'number' || !Number.isFinite(usd) || !/^(day|week|month):\d{4}-\d{2}(-\d{2})?$/.test(id)) return `bad spend of ${key}`;
        map.set(id, usd);
      }
      this.sums.set(key, map);
    }
    const present = new Set(files);
    for (const [name, entry] of Object.entries(cp.files)) {
      const bytes = entry?.bytes;
      if (!filePattern.test(name) || typeof bytes !== 'number' || !Number.isSafeInteger(bytes) || bytes < 0) return `bad offset of ${name}`;
      if (!present.has(name)) {
        // Not in the periods' range: its lines count only in periods already over. Within it: the file is gone,
        // and the sums hold lines a scan would not find.
        if (name >= firstName) return `${name} is gone`;
        continue;
      }
      const handle = await fs.open(path.join(this.dir, name), 'r');
      try {
        const { size } = await handle.stat();
        if (size < bytes) return `${name} is shorter than the checkpoint`;
        if (bytes > 0) {
          const byte = Buffer.alloc(1);
          await handle.read(byte, 0, 1, bytes - 1);
          if (byte[0] !== 0x0a) return `${name}: the offset is not at a line start`;
        }
      } finally {
        await handle.close();
      }
      this.offsets.set(name, bytes);
    }
    return undefined;
  }
}
