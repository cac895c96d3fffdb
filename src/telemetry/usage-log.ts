// The append-only usage log (spec section 4): one JSON line per request in
// `usage-YYYY-MM-DD.jsonl`, the UTC day of the line's own `ts`.
//
// The request path only serialises the line and pushes it into a memory
// buffer; a timer appends the buffer with async I/O to one kept-open file per
// day. A slow or failing disk never blocks or crashes serving: lines wait in a
// bounded buffer and are retried on the next tick, and past the bound new
// lines are dropped and counted (an error log and a metric say so). Lines are
// never rewritten: a failed append is retried with the same bytes, and a file
// that ends in a partial line (a failed append, or a crash mid-append) gets
// that line terminated before anything is appended to it.

import { promises as fs } from 'node:fs';
import path from 'node:path';
import { log } from './logger.ts';
import { metrics } from './metrics.ts';
import type { UsageLine } from './usage-record.ts';

export interface UsageLogOptions {
  /** Folder for the files; a relative path resolves against the working directory. */
  dir: string;
  /** Interval between appends (settings.usage.flush_ms, 10..5000). */
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
/** Retry interval for a closed log whose last append failed. */
const closedRetryMs = 1000;
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
  private readonly now: () => number;
  private buffer: Pending[] = [];
  private timer: NodeJS.Timeout | undefined;
  private chain: Promise<void> = Promise.resolve();
  private draining = false;
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
    this.now = options.now ?? Date.now;
    if (this.enabled) {
      this.timer = setInterval(() => {
        if (!this.draining && this.buffer.length > 0) void this.flush();
      }, Math.max(10, options.flushMs));
      this.timer.unref();
    }
  }

  /** Queues one line. Never blocks, never throws. */
  write(line: UsageLine): void {
    if (!this.enabled) return;
    try {
      if (this.buffer.length >= this.maxBuffered) {
        this.dropped(1);
        return;
      }
      const day = typeof line.ts === 'string' && dayPattern.test(line.ts) ? line.ts.slice(0, 10) : new Date().toISOString().slice(0, 10);
      this.buffer.push({ day, text: JSON.stringify(line) + '\n' });
      // After close() no timer runs: flush promptly instead of keeping the line.
      if (this.closed && !this.draining) void this.flush();
    } catch (err) {
      log.error('usage line not serialisable; dropped', { err });
      this.dropped(1);
    }
  }

  /** Appends everything buffered so far; resolves when done (or when the attempt failed and the lines are kept for a retry). */
  flush(): Promise<void> {
    const run = this.chain.then(() => this.drain()).catch((err: unknown) => {
      this.draining = false;
      log.error('usage log flush failed unexpectedly', { err: err instanceof Error ? err : String(err) });
    });
    this.chain = run;
    return run;
  }

  /** Stops the timer and appends what is left. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
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
    this.draining = true;
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
    this.draining = false;
    if (failure !== undefined) {
      this.requeue(unwritten);
      this.reportFailure(failure);
      // Closed: no interval timer any more, so retry on a one-shot one.
      if (this.closed) setTimeout(() => void this.flush(), closedRetryMs).unref();
      return;
    }
    if (this.failing) {
      this.failing = false;
      log.info('usage log writable again', { dir: this.dir });
    }
    // Lines written after close() while this drain ran.
    if (this.closed && this.buffer.length > 0) void this.flush();
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
