import { expect } from 'chai';
import { existsSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, writeFileSync, mkdirSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setImmediate as tick } from 'node:timers/promises';
import { renderMetrics, resetMetrics } from '../../src/telemetry/metrics.ts';
import { UsageLog } from '../../src/telemetry/usage-log.ts';
import type { UsageLine } from '../../src/telemetry/usage-record.ts';
import { parseExposition, value } from './exposition.ts';

function line(requestId: string, ts = '2026-11-22T12:00:00.000Z'): UsageLine {
  return {
    ts, request_id: requestId, key: 'search-team', route: 'chat_completions', model: 'gpt-4-pool', provider: 'openai',
    upstream_model: 'gpt-4o', status: 200, stream: true,
    attempts: [{ provider: 'azure-east', upstream_model: 'gpt-4o', status: 503, outcome: 'http_5xx', ms: 41 }],
    latency_ms: 812, ttft_ms: 230, input_tokens: 12, output_tokens: 80, cached_tokens: 0, cache_write_tokens: 0,
    reasoning_tokens: 0, overhead_ms: 0.4, cost_usd: 0.00083, config_version: '3f2a9c1', error: null,
  };
}

function readLines(file: string): string[] {
  return readFileSync(file, 'utf8').split('\n').filter((l) => l !== '');
}

/** Captures what the logger writes to stderr while `fn` runs. */
async function captureStderr<T>(fn: () => Promise<T>): Promise<{ result: T; logged: string }> {
  const original = process.stderr.write;
  let logged = '';
  process.stderr.write = ((chunk: string | Uint8Array) => {
    logged += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    return true;
  }) as typeof process.stderr.write;
  try {
    return { result: await fn(), logged };
  } finally {
    process.stderr.write = original;
  }
}

async function metric(name: string): Promise<number> {
  const m = parseExposition((await renderMetrics()).body);
  return value(m, name);
}

async function waitFor(check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

interface AppendSpy {
  /** Each append the log made, in order: the text it wrote and when the write finished. */
  calls: { text: string; done: Promise<void> }[];
  /** Holds every append started from now on until the returned function is called (a slow disk). */
  hold(): () => void;
  restore(): void;
}

/** Records the appends made through Node's FileHandle (the log keeps one open per day file). */
async function spyOnAppends(dir: string): Promise<AppendSpy> {
  const probe = await fs.open(path.join(dir, 'probe'), 'w');
  const proto = Object.getPrototypeOf(probe) as { appendFile: (...args: unknown[]) => Promise<void> };
  await probe.close();
  rmSync(path.join(dir, 'probe'));
  const original = proto.appendFile;
  const calls: AppendSpy['calls'] = [];
  let gate: Promise<void> | undefined;
  proto.appendFile = function (this: unknown, ...args: unknown[]) {
    const held = gate;
    const done = (async () => {
      await held;
      await original.apply(this, args);
    })();
    calls.push({ text: String(args[0]), done });
    return done;
  };
  return {
    calls,
    hold: () => {
      let release!: () => void;
      gate = new Promise<void>((r) => { release = r; });
      return () => { gate = undefined; release(); };
    },
    restore: () => { proto.appendFile = original; },
  };
}

const idsIn = (text: string) => text.split('\n').filter((l) => l !== '').map((l) => (JSON.parse(l) as UsageLine).request_id);

/** Descriptors this process holds open on `file` (Linux /proc). */
function openDescriptors(file: string): number {
  return readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`) === file;
    } catch {
      return false; // closed while listing
    }
  }).length;
}

describe('UsageLog', () => {
  let tmp: string;
  beforeEach(() => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'switchyard-usage-'));
    resetMetrics();
  });
  afterEach(() => rmSync(tmp, { recursive: true, force: true }));

  it('writes exactly one well-formed line per request under concurrent load', async () => {
    const log = new UsageLog({ dir: path.join(tmp, 'usage'), flushMs: 10, enabled: true });
    const tasks = 50;
    const perTask = 100;
    await Promise.all(
      Array.from({ length: tasks }, async (_, t) => {
        for (let i = 0; i < perTask; i++) {
          log.write(line(`req-${t}-${i}`));
          if (i % 7 === 0) await tick(); // interleave with the flush timer and the other tasks
        }
      }),
    );
    await log.close();

    const files = readdirSync(path.join(tmp, 'usage'));
    expect(files).to.deep.equal(['usage-2026-11-22.jsonl']);
    const lines = readLines(path.join(tmp, 'usage', files[0]!));
    expect(lines).to.have.length(tasks * perTask);
    const ids = new Set<string>();
    for (const text of lines) {
      const parsed = JSON.parse(text) as UsageLine;
      expect(parsed).to.deep.equal(line(parsed.request_id));
      ids.add(parsed.request_id);
    }
    expect(ids.size).to.equal(tasks * perTask);
  });

  it('puts each line in the file of its own UTC day across midnight', async () => {
    const log = new UsageLog({ dir: tmp, flushMs: 10, enabled: true });
    const stamps = ['2026-11-22T23:59:59.998Z', '2026-11-23T00:00:00.000Z', '2026-11-22T23:59:59.999Z', '2026-11-23T00:00:00.001Z'];
    stamps.forEach((ts, i) => log.write(line(`r${i}`, ts)));
    await log.flush();
    log.write(line('r4', '2026-11-23T08:00:00.000Z'));
    await log.close();

    expect(readdirSync(tmp).sort()).to.deep.equal(['usage-2026-11-22.jsonl', 'usage-2026-11-23.jsonl']);
    const day1 = readLines(path.join(tmp, 'usage-2026-11-22.jsonl')).map((l) => (JSON.parse(l) as UsageLine).request_id);
    const day2 = readLines(path.join(tmp, 'usage-2026-11-23.jsonl')).map((l) => (JSON.parse(l) as UsageLine).request_id);
    expect(day1).to.deep.equal(['r0', 'r2']);
    expect(day2).to.deep.equal(['r1', 'r3', 'r4']);
  });

  it('appends to an existing day file and never rewrites earlier lines', async () => {
    const file = path.join(tmp, 'usage-2026-11-22.jsonl');
    writeFileSync(file, JSON.stringify(line('earlier')) + '\n');
    const log = new UsageLog({ dir: tmp, flushMs: 10, enabled: true });
    log.write(line('later'));
    await log.close();
    expect(readLines(file).map((l) => (JSON.parse(l) as UsageLine).request_id)).to.deep.equal(['earlier', 'later']);
  });

  it('lands lines without a flush call and without waiting for flush_ms', async () => {
    // flush_ms is only the retry interval while the disk fails: a line must not wait for it
    const log = new UsageLog({ dir: tmp, flushMs: 5000, enabled: true });
    log.write(line('prompt'));
    const file = path.join(tmp, 'usage-2026-11-22.jsonl');
    await waitFor(() => existsSync(file) && readLines(file).length === 1, 1000);
    await log.close();
  });

  describe('scheduling: one append per event-loop turn', () => {
    let spy: AppendSpy | undefined;
    afterEach(() => {
      spy?.restore();
      spy = undefined;
    });

    it('appends every line of a turn in one append that starts at the end of that turn', async () => {
      spy = await spyOnAppends(tmp);
      const log = new UsageLog({ dir: tmp, flushMs: 5000, enabled: true });
      for (let i = 0; i < 5; i++) log.write(line(`r${i}`));
      expect(log.buffered, 'queued, nothing written on the request path').to.equal(5);
      await tick(); // the end of this turn: the append has taken the lines
      expect(log.buffered).to.equal(0);
      await waitFor(() => spy!.calls.length === 1, 1000);
      await spy.calls[0]!.done;
      expect(idsIn(spy.calls[0]!.text)).to.deep.equal(['r0', 'r1', 'r2', 'r3', 'r4']);
      expect(readLines(path.join(tmp, 'usage-2026-11-22.jsonl'))).to.have.length(5);
      await log.close();
      expect(spy.calls).to.have.length(1);
    });

    it('queues lines while an append is in flight and starts the next one as soon as it completes', async () => {
      spy = await spyOnAppends(tmp);
      const log = new UsageLog({ dir: tmp, flushMs: 5000, enabled: true });
      log.write(line('first'));
      await log.flush(); // the day file is open
      const release = spy.hold();
      log.write(line('slow'));
      await waitFor(() => spy!.calls.length === 2, 1000); // the append of 'slow' is in flight
      for (let t = 0; t < 3; t++) {
        log.write(line(`q${t}`));
        await tick();
        await new Promise((r) => setTimeout(r, 5));
      }
      expect(spy.calls, 'no second append while one is in flight').to.have.length(2);
      expect(log.buffered).to.equal(3);
      release();
      await spy.calls[1]!.done;
      // no timer involved (flush_ms is 5 s): the next append follows at once, with everything queued
      await waitFor(() => spy!.calls.length === 3, 1000);
      expect(idsIn(spy.calls[2]!.text)).to.deep.equal(['q0', 'q1', 'q2']);
      await log.close();
      expect(readLines(path.join(tmp, 'usage-2026-11-22.jsonl')).map((l) => (JSON.parse(l) as UsageLine).request_id))
        .to.deep.equal(['first', 'slow', 'q0', 'q1', 'q2']);
    });
  });

  it('while the disk fails, retries every flush_ms on its own and not on every new line', async () => {
    const blocker = path.join(tmp, 'blocker');
    writeFileSync(blocker, '');
    const dir = path.join(blocker, 'usage');
    const errors: unknown[] = [];
    const slow = new UsageLog({ dir, flushMs: 5000, enabled: true, onError: (err) => errors.push(err) });
    await captureStderr(async () => {
      slow.write(line('r0'));
      await waitFor(() => errors.length === 1, 1000);
      for (let t = 0; t < 5; t++) {
        slow.write(line(`r${t + 1}`));
        await tick();
      }
      await new Promise((r) => setTimeout(r, 50));
    });
    expect(errors, 'new lines wait for the retry').to.have.length(1);
    expect(slow.buffered).to.equal(6);

    const fast = new UsageLog({ dir, flushMs: 20, enabled: true, onError: (err) => errors.push(err) });
    await captureStderr(async () => {
      fast.write(line('f0'));
      await waitFor(() => errors.length >= 4, 2000); // retried without a write or flush call
      rmSync(blocker);
      const file = path.join(dir, 'usage-2026-11-22.jsonl');
      await waitFor(() => existsSync(file) && readLines(file).length === 1, 2000);
      await fast.close();
      await slow.close();
    });
    expect(idsIn(readFileSync(path.join(dir, 'usage-2026-11-22.jsonl'), 'utf8'))).to.deep.equal(['f0', 'r0', 'r1', 'r2', 'r3', 'r4', 'r5']);
  });

  it('keeps serving through an unwritable directory, logs and counts it, then catches up once it is writable', async () => {
    // tests run as root, so a chmod would not stop the writes: use a dir whose parent is a regular file
    const blocker = path.join(tmp, 'blocker');
    writeFileSync(blocker, 'not a directory');
    const dir = path.join(blocker, 'usage');
    const errors: unknown[] = [];
    const log = new UsageLog({ dir, flushMs: 5000, enabled: true, onError: (err) => errors.push(err) });

    const { logged } = await captureStderr(async () => {
      for (let i = 0; i < 10; i++) expect(() => log.write(line(`r${i}`))).not.to.throw();
      await log.flush(); // resolves: a disk failure is never the request's failure
      log.write(line('r10'));
      await log.flush();
    });
    expect(errors.length).to.equal(2);
    expect(await metric('switchyard_usage_write_errors_total')).to.equal(2);
    const entries = logged.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as { level: string; msg: string; dir: string });
    expect(entries.filter((e) => e.level === 'error')).to.have.length(1); // one log per failure streak, not per tick
    expect(entries[0]!.msg).to.match(/usage log append failed/);
    expect(log.buffered).to.equal(11);

    rmSync(blocker);
    await captureStderr(async () => {
      log.write(line('r11'));
      await log.close();
    });
    const lines = readLines(path.join(dir, 'usage-2026-11-22.jsonl'));
    expect(lines.map((l) => (JSON.parse(l) as UsageLine).request_id)).to.deep.equal(Array.from({ length: 12 }, (_, i) => `r${i}`));
  });

  it('bounds memory while the disk fails: drops and counts lines past the limit', async () => {
    const blocker = path.join(tmp, 'blocker');
    writeFileSync(blocker, '');
    const dir = path.join(blocker, 'usage');
    const log = new UsageLog({ dir, flushMs: 5000, enabled: true, maxBufferedLines: 10 });
    const { logged } = await captureStderr(async () => {
      for (let i = 0; i < 15; i++) log.write(line(`r${i}`));
      await log.flush();
    });
    expect(log.buffered).to.equal(10);
    expect(await metric('switchyard_usage_dropped_lines_total')).to.equal(5);
    expect(logged).to.match(/lines dropped/);

    rmSync(blocker);
    await captureStderr(() => log.close());
    const ids = readLines(path.join(dir, 'usage-2026-11-22.jsonl')).map((l) => (JSON.parse(l) as UsageLine).request_id);
    expect(ids).to.deep.equal(Array.from({ length: 10 }, (_, i) => `r${i}`)); // the oldest are kept
  });

  it('never glues a new line onto a partial line a failed append left behind', async () => {
    const blocker = path.join(tmp, 'blocker');
    writeFileSync(blocker, '');
    const dir = path.join(blocker, 'usage');
    const log = new UsageLog({ dir, flushMs: 5000, enabled: true });
    await captureStderr(async () => {
      log.write(line('after-failure'));
      await log.flush();
    });
    // the disk comes back holding a torn line (as after ENOSPC mid-append)
    rmSync(blocker);
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'usage-2026-11-22.jsonl'), JSON.stringify(line('torn')).slice(0, 40));
    await captureStderr(() => log.close());
    const lines = readLines(path.join(dir, 'usage-2026-11-22.jsonl'));
    expect(lines).to.have.length(2);
    expect((JSON.parse(lines[1]!) as UsageLine).request_id).to.equal('after-failure');
  });

  it('never glues a new line onto a partial line a crash left in the file before it was opened', async () => {
    // kill -9 in the middle of a large append can cut its last line
    const file = path.join(tmp, 'usage-2026-11-22.jsonl');
    writeFileSync(file, JSON.stringify(line('whole')) + '\n' + JSON.stringify(line('torn')).slice(0, 40));
    const log = new UsageLog({ dir: tmp, flushMs: 10, enabled: true });
    log.write(line('after-restart'));
    await log.close();
    const lines = readLines(file);
    expect(lines).to.have.length(3);
    expect((JSON.parse(lines[0]!) as UsageLine).request_id).to.equal('whole');
    expect((JSON.parse(lines[2]!) as UsageLine).request_id).to.equal('after-restart');
  });

  it('recreates a day file deleted while it was kept open, within a second', async () => {
    let now = 0;
    const log = new UsageLog({ dir: tmp, flushMs: 10, enabled: true, now: () => now });
    const file = path.join(tmp, 'usage-2026-11-22.jsonl');
    log.write(line('before'));
    await log.flush();
    rmSync(file);
    now += 1000;
    log.write(line('after'));
    await log.close();
    expect(idsIn(readFileSync(file, 'utf8'))).to.deep.equal(['after']);
  });

  it('keeps at most two day files open and closes them on close', async function () {
    if (!existsSync('/proc/self/fd')) this.skip();
    const log = new UsageLog({ dir: tmp, flushMs: 10, enabled: true });
    const days = ['2026-11-21', '2026-11-22', '2026-11-23'];
    for (const day of days) {
      log.write(line(`r-${day}`, `${day}T12:00:00.000Z`));
      await log.flush();
    }
    const files = days.map((day) => path.join(tmp, `usage-${day}.jsonl`));
    expect(files.map(openDescriptors)).to.deep.equal([0, 1, 1]);
    await log.close();
    expect(files.map(openDescriptors)).to.deep.equal([0, 0, 0]);
  });

  it('resolves a relative dir against the working directory and creates it', async () => {
    const cwd = process.cwd();
    process.chdir(tmp);
    try {
      const log = new UsageLog({ dir: 'relative/usage', flushMs: 10, enabled: true });
      expect(log.dir).to.equal(path.join(tmp, 'relative', 'usage'));
      log.write(line('rel'));
      await log.close();
    } finally {
      process.chdir(cwd);
    }
    expect(readLines(path.join(tmp, 'relative', 'usage', 'usage-2026-11-22.jsonl'))).to.have.length(1);
  });

  it('writes lines that arrive after close (requests finishing during shutdown)', async () => {
    const log = new UsageLog({ dir: tmp, flushMs: 10, enabled: true });
    await log.close();
    log.write(line('late'));
    await log.flush();
    expect(readLines(path.join(tmp, 'usage-2026-11-22.jsonl'))).to.have.length(1);
  });

  it('writes nothing when disabled', async () => {
    const dir = path.join(tmp, 'off');
    const log = new UsageLog({ dir, flushMs: 10, enabled: false });
    log.write(line('ignored'));
    await log.close();
    expect(existsSync(dir)).to.equal(false);
  });
});
