// The append-only usage log (spec section 4): one JSON line per request in
// `usage-YYYY-MM-DD.jsonl`, the UTC day of the line's own `ts`.
//
// Budgets are rebuilt from this log at start, so a line still in memory when
// the process dies is spend never counted. The request path therefore only
// serialises the line and queues it, and the queue goes to the kernel at once:
// the first line of a batch schedules one append for the end of the current
// event-loop turn (setImmediate); lines that arrive while an append is running
// wait for it and go in the next one, which starts as soon as it completes.
// A crash loses only the lines whose append had not written them yet.
//
// A slow or failing disk never blocks or crashes serving: I/O is async (one
// kept-open file per day), lines wait in a bounded queue and are retried every
// `retryMs` while appends fail, and past the bound new lines are dropped and
// counted (an error log and a metric say so). Lines are never rewritten: a
// failed append is retried with the same bytes, and a file that ends in a
// partial line (a failed append, or a crash mid-append) gets that line
// terminated before anything is appended to it.

import { promises as fs } from 'node:fs';
import path from 'node:path';
import { log } from './logger.ts';
import { metrics } from './metrics.ts';
import type { UsageLine } from './usage-record.ts';

export interface UsageLogOptions {
  /** Folder for the files; a relative path resolves against the working directory. */
  dir: string;
  /**
   * settings.usage.flush_ms (10..5000): the wait before retrying while appends
   * fail. Lines are appended as soon as they are written, not on this interval.
   */
  flushMs: number;
  /** false: write() discards lines (settings.usage.enabled). */
  enabled: boolean;
  /** Called with each failed append (after the error is logged and counted). */
  onError?: (err: unknown) => void;
  /** Lines held in memory at most while the disk is slow or failing; then new lines are dropped. */
  maxBufferedLines?: number;
  /** The clock for checking kept-open files (tests inject one). */
  now?: () => number;
}

/** Minimum time between two "still failing" error logs. */
const errorLogIntervalMs = 60_000;
/** Append handles kept open: the current day's file and, around midnight, the one before. */
const maxOpenFiles = 2;
/** How often a kept-open file is checked to still be the one its path names. */
const fileCheckMs = 1000;
const dayPattern = /^\d{4}-\d{2}-\d{2}T/;

interface Pending {
  day: string;
  text: string;
}

export class UsageLog {
  readonly dir: string;
  private readonly enabled: boolean;
  private readonly onError: ((err: unknown) => void) | undefined;
  private readonly maxBuffered: number;
  private readonly retryMs: number;
  private readonly now: () => number;
  private buffer: Pending[] = [];
  /** The append scheduled for the end of this event-loop turn. */
  private scheduled: NodeJS.Immediate | undefined;
  /** The next attempt while appends fail. */
  private retryTimer: NodeJS.Timeout | undefined;
  /** Appends started or queued on `chain` and not finished yet. */
  private drains = 0;
  private chain: Promise<void> = Promise.resolve();
  private closed = false;
  /** Open append handles by file, least recently used first. */
  private readonly files = new Map<string, OpenFile>();
  private failing = false;
  private lastErrorLogAt = 0;
  private droppedSinceLog = 0;
  private lastDropLogAt = 0;

  constructor(options: UsageLogOptions) {
    this.dir = path.resolve(options.dir);
    this.enabled = options.enabled;
    this.onError = options.onError;
    this.maxBuffered = options.maxBufferedLines ?? 100_000;
    this.retryMs = Math.max(10, options.flushMs);
    this.now = options.now ?? Date.now;
  }

  /** Queues one line for the append at the end of this event-loop turn. Never blocks, never throws. */
  write(line: UsageLine): void {
    if (!this.enabled) return;
    try {
      if (this.buffer.length >= this.maxBuffered) {
        this.dropped(1);
        return;
      }
      const day = typeof line.ts === 'string' && dayPattern.test(line.ts) ? line.ts.slice(0, 10) : new Date().toISOString().slice(0, 10);
      this.buffer.push({ day, text: JSON.stringify(line) + '\n' });
      // One append per turn carries every line queued in it. None is scheduled
      // while an append runs (its completion starts the next) or while the
      // disk fails (the retry timer will).
      if (this.scheduled === undefined && this.drains === 0 && this.retryTimer === undefined) {
        this.scheduled = setImmediate(() => {
          this.scheduled = undefined;
          void this.flush();
        });
      }
    } catch (err) {
      log.error('usage line not serialisable; dropped', { err });
      this.dropped(1);
    }
  }

  /**
   * Appends everything queued so far, now (also while waiting to retry a
   * failing disk); resolves when done, or when the attempt failed and the
   * lines are kept for a retry.
   */
  flush(): Promise<void> {
    if (this.scheduled !== undefined) clearImmediate(this.scheduled);
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    this.scheduled = this.retryTimer = undefined;
    this.drains++;
    const run = this.chain
      .then(() => this.drain())
      .catch((err: unknown) => {
        log.error('usage log flush failed unexpectedly', { err: err instanceof Error ? err : String(err) });
        this.retryLater();
      })
      .finally(() => {
        this.drains--;
        // Lines queued while this append ran: the next append starts right away.
        if (this.drains === 0 && this.buffer.length > 0 && this.retryTimer === undefined) void this.flush();
      });
    this.chain = run;
    return run;
  }

  /** Appends what is left. Lines written later (requests finishing during shutdown) are still appended. */
  async close(): Promise<void> {
    this.closed = true;
    await this.flush();
    if (this.buffer.length > 0) {
      log.error('usage log closed with unwritten lines', { dir: this.dir, lines: this.buffer.length });
    }
  }

  /** Lines waiting in memory (for tests and /status). */
  get buffered(): number {
    return this.buffer.length;
  }

  private async drain(): Promise<void> {
    try {
      await this.appendQueued();
    } finally {
      // A closed log keeps no file open between the lines that may still trickle in.
      if (this.closed) await this.closeFiles();
    }
  }

  private async appendQueued(): Promise<void> {
    if (this.buffer.length === 0) return;
    const batch = this.buffer;
    this.buffer = [];
    // Group by day, keeping order within a day.
    const byDay = new Map<string, Pending[]>();
    for (const item of batch) {
      let list = byDay.get(item.day);
      if (!list) byDay.set(item.day, (list = []));
      list.push(item);
    }
    const unwritten: Pending[] = [];
    let failure: unknown;
    for (const [day, items] of byDay) {
      if (failure !== undefined) {
        unwritten.push(...items);
        continue;
      }
      try {
        await this.append(path.join(this.dir, `usage-${day}.jsonl`), items.map((i) => i.text).join(''));
      } catch (err) {
        failure = err;
        unwritten.push(...items);
      }
    }
    if (failure !== undefined) {
      this.requeue(unwritten);
      this.reportFailure(failure);
      this.retryLater();
      return;
    }
    if (this.failing) {
      this.failing = false;
      log.info('usage log writable again', { dir: this.dir });
    }
  }

  private retryLater(): void {
    if (this.retryTimer !== undefined) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.flush();
    }, this.retryMs);
    this.retryTimer.unref();
  }

  private async append(file: string, text: string): Promise<void> {
    try {
      const open = await this.openFile(file);
      // The file ended in a partial line (a failed append, or a crash mid-append
      // before this process started): terminate it rather than glue onto it.
      await open.handle.appendFile(open.unterminated ? '\n' + text : text);
      open.unterminated = false;
    } catch (err) {
      // Reopen (and re-check the file's last byte) on the retry: the failure may have left a partial line.
      await this.closeFile(file);
      throw err;
    }
  }

  /**
   * The kept-open append handle of `file`. One write per batch on an open
   * handle costs about half the CPU of fs.appendFile's open, write and close.
   * Every `fileCheckMs` the path is checked to still name the open file, so a
   * day file deleted or moved while the gateway runs is recreated.
   */
  private async openFile(file: string): Promise<OpenFile> {
    let open = this.files.get(file);
    if (open) {
      this.files.delete(file); // re-inserted below as the most recently used
      const now = this.now();
      if (now - open.checkedAt >= fileCheckMs) {
        open.checkedAt = now;
        if (!(await namesFile(file, open))) {
          await open.handle.close().catch(() => undefined);
          open = undefined;
        }
      }
    }
    if (!open) {
      await fs.mkdir(this.dir, { recursive: true });
      open = await openForAppend(file, this.now());
    }
    this.files.set(file, open);
    for (const older of this.files.keys()) {
      if (this.files.size <= maxOpenFiles) break;
      await this.closeFile(older);
    }
    return open;
  }

  private async closeFile(file: string): Promise<void> {
    const open = this.files.get(file);
    if (!open) return;
    this.files.delete(file);
    await open.handle.close().catch(() => undefined); // nothing written is lost by a failed close
  }

  private async closeFiles(): Promise<void> {
    for (const file of [...this.files.keys()]) await this.closeFile(file);
  }

  /** Puts failed lines back in front of newer ones, within the bound. */
  private requeue(unwritten: Pending[]): void {
    const merged = unwritten.concat(this.buffer);
    if (merged.length > this.maxBuffered) {
      this.dropped(merged.length - this.maxBuffered);
      merged.length = this.maxBuffered;
    }
    this.buffer = merged;
  }

  private reportFailure(err: unknown): void {
    metrics.usageWriteError();
    const now = Date.now();
    if (!this.failing || now - this.lastErrorLogAt >= errorLogIntervalMs) {
      log.error('usage log append failed; lines kept in memory and retried', {
        dir: this.dir,
        err: err instanceof Error ? err : String(err),
        buffered: this.buffer.length,
      });
      this.lastErrorLogAt = now;
    }
    this.failing = true;
    try {
      this.onError?.(err);
    } catch {
      // a faulty callback must not break the writer
    }
  }

  private dropped(count: number): void {
    metrics.usageLinesDropped(count);
    this.droppedSinceLog += count;
    const now = Date.now();
    if (now - this.lastDropLogAt >= errorLogIntervalMs) {
      log.error('usage log buffer full; lines dropped', { dir: this.dir, dropped: this.droppedSinceLog, limit: this.maxBuffered });
      this.lastDropLogAt = now;
      this.droppedSinceLog = 0;
    }
  }
}

interface OpenFile {
  handle: fs.FileHandle;
  dev: number;
  ino: number;
  /** When the path was last checked to still name this file. */
  checkedAt: number;
  /** The file ended in a partial line when opened; the next append starts with a newline. */
  unterminated: boolean;
}

/** Opens `file` for appending (read too, to look at its last byte). */
async function openForAppend(file: string, now: number): Promise<OpenFile> {
  const handle = await fs.open(file, 'a+');
  try {
    const { dev, ino, size } = await handle.stat();
    let unterminated = false;
    if (size > 0) {
      const byte = Buffer.alloc(1);
      await handle.read(byte, 0, 1, size - 1);
      unterminated = byte[0] !== 0x0a;
    }
    return { handle, dev, ino, checkedAt: now, unterminated };
  } catch (err) {
    await handle.close().catch(() => undefined);
    throw err;
  }
}

/** Does `file` still name the open file (not deleted, moved away or replaced)? */
async function namesFile(file: string, open: OpenFile): Promise<boolean> {
  try {
    const { dev, ino } = await fs.stat(file);
    return dev === open.dev && ino === open.ino;
  } catch {
    return false;
  }
}
