// Runs the loader's check half (checkConfig: read, parse, schema, merge,
// references, secrets) on a worker thread, so a reload of a big config never
// holds the serving thread: parsing 2 MB of YAML alone takes seconds.
//
// The worker sends back plain data. A successful check's entries travel as
// one transferred buffer of separately serialized records (v8.serialize, the
// structured-clone format), which this side decodes a few milliseconds at a
// time; a single structured-clone message would be decoded in one block.
// Anything that goes wrong in the worker (crash, out of memory, too slow,
// cancelled) comes back as a failed check naming the folder, never a throw.

import { deserialize, serialize } from 'node:v8';
import { Worker } from 'node:worker_threads';
import { redact } from '../telemetry/logger.ts';
import type { CheckedConfig } from './compile.ts';
import type { ConfigError } from './config-error.ts';
import type { CheckedFolder, CheckOptions, CheckOutcome, ConfigSummary } from './load.ts';
import { TimeSlicer } from './time-slicer.ts';

export interface WorkerLimits {
  /** The check is stopped after this long; default 120 s. */
  timeoutMs?: number;
  /** The worker's V8 old-generation heap; default 2048 MB. Over it, the worker (not the gateway) dies. */
  maxHeapMb?: number;
}

/**
 * A folder at the size limit (8 MiB) peaks near 900 MB of heap and 20 s of
 * parsing on a 2-core VM, so these leave room on a slower machine while still
 * ending a check that hangs or grows without end.
 */
export const defaultWorkerLimits: Required<WorkerLimits> = { timeoutMs: 120_000, maxHeapMb: 2048 };

/** What the worker gets: the folder and the plain options of the check. */
export interface CheckRequest {
  dir: string;
  options: CheckOptions;
}

type RecordKind = 'settings' | 'providers' | 'groups' | 'policies' | 'keys' | 'secret';
type PackedRecord = [kind: RecordKind, name: string, value: unknown];

type PackedOutcome =
  | { ok: false; errors: ConfigError[]; summary?: ConfigSummary }
  | {
      ok: true;
      /** v8.serialize of each PackedRecord, back to back; record i is records[offsets[i]..offsets[i+1]). */
      records: Uint8Array;
      offsets: Float64Array;
      version: string;
      files: string[];
      summary: ConfigSummary;
      secretFiles: string[];
    };

// Running from the TypeScript sources (tests) the worker is the .ts file; from dist/, the compiled .js.
const workerUrl = new URL(import.meta.url.endsWith('.ts') ? './check-worker.ts' : './check-worker.js', import.meta.url);

export function checkOffThread(dir: string, options: CheckOptions, control: { limits?: WorkerLimits; signal?: AbortSignal } = {}): Promise<CheckOutcome> {
  const limits = { ...defaultWorkerLimits, ...control.limits };
  const shown = options.displayDir ?? dir;
  const failed = (message: string): CheckOutcome => ({ ok: false, errors: [{ file: shown, line: 0, col: 0, message }] });
  const signal = control.signal;
  if (signal?.aborted) return Promise.resolve(failed('config check cancelled'));

  // process.env is an exotic object; a plain copy crosses threads.
  const request: CheckRequest = { dir, options: options.env ? { ...options, env: { ...options.env } } : options };
  return new Promise<CheckOutcome>((resolve) => {
    let worker: Worker;
    try {
      worker = startWorker(request, limits.maxHeapMb);
    } catch (err) {
      resolve(failed(`config check could not start a worker thread (${describe(err)})`));
      return;
    }
    let settled = false;
    const finish = (outcome: CheckOutcome | Promise<CheckOutcome>): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      void worker.terminate();
      resolve(outcome);
    };
    const timer = setTimeout(() => finish(failed(`config check stopped: it took longer than ${limits.timeoutMs / 1000} s`)), limits.timeoutMs);
    const onAbort = (): void => finish(failed('config check cancelled'));
    signal?.addEventListener('abort', onAbort, { once: true });
    worker.once('message', (message: PackedOutcome) => finish(unpackOutcome(message, failed)));
    worker.once('error', (err: Error & { code?: string }) => {
      finish(failed(err.code === 'ERR_WORKER_OUT_OF_MEMORY'
        ? `config check ran out of memory (its worker may use ${limits.maxHeapMb} MB of heap)`
        : `config check failed in its worker thread (${describe(err)})`));
    });
    worker.once('exit', (code) => finish(failed(`config check failed: its worker thread exited with code ${code}`)));
  });
}

/**
 * The worker gets the gateway's Node flags (a loader or `--conditions` may be
 * needed to load the sources), except the debugger's and profilers'. Flags a
 * worker refuses (`--trace-gc`, `--max-old-space-size`: they belong to the
 * process) make Node throw at once; then it starts with none.
 */
function startWorker(request: CheckRequest, maxHeapMb: number): Worker {
  const options = { workerData: request, resourceLimits: { maxOldGenerationSizeMb: maxHeapMb } };
  try {
    return new Worker(workerUrl, { ...options, execArgv: process.execArgv.filter((arg) => !/^--(inspect|debug|cpu-prof|heap-prof|prof)/.test(arg)) });
  } catch (err) {
    if ((err as { code?: string }).code !== 'ERR_WORKER_INVALID_EXEC_ARGV') throw err;
    return new Worker(workerUrl, { ...options, execArgv: [] });
  }
}

/** Worker side: the outcome as one message, a success's entries serialized into one transferable buffer. */
export function packOutcome(outcome: CheckOutcome): { message: PackedOutcome; transfer: ArrayBuffer[] } {
  if (!outcome.ok) return { message: outcome, transfer: [] };
  const parts: Buffer[] = [];
  const add = (record: PackedRecord): void => { parts.push(serialize(record)); };
  const { config } = outcome;
  if (config.settings !== undefined) add(['settings', 'settings', config.settings]);
  for (const [name, value] of config.providers) add(['providers', name, value]);
  for (const [name, value] of config.policies) add(['policies', name, value]);
  for (const [name, value] of config.groups) add(['groups', name, value]);
  for (const [name, value] of config.keys) add(['keys', name, value]);
  for (const [text, value] of outcome.secrets) add(['secret', text, value]);

  const offsets = new Float64Array(parts.length + 1);
  parts.forEach((part, i) => { offsets[i + 1] = offsets[i]! + part.byteLength; });
  // Its own ArrayBuffer (never Node's shared pool), so it can be transferred rather than copied.
  const records = new Uint8Array(offsets[parts.length]!);
  parts.forEach((part, i) => records.set(part, offsets[i]!));
  const { version, files, summary, secretFiles } = outcome;
  return {
    message: { ok: true, records, offsets, version, files, summary, secretFiles },
    transfer: [records.buffer, offsets.buffer],
  };
}

/** Serving side: decodes the records a slice at a time. */
async function unpackOutcome(message: PackedOutcome, failed: (message: string) => CheckOutcome): Promise<CheckOutcome> {
  if (!message.ok) return message;
  try {
    const config: CheckedConfig = { providers: new Map(), groups: new Map(), policies: new Map(), keys: new Map() };
    const secrets = new Map<string, string>();
    const slicer = new TimeSlicer();
    const { records, offsets } = message;
    for (let i = 0; i + 1 < offsets.length; i++) {
      const [kind, name, value] = deserialize(records.subarray(offsets[i]!, offsets[i + 1]!)) as PackedRecord;
      if (kind === 'settings') config.settings = value as CheckedConfig['settings'];
      else if (kind === 'secret') secrets.set(name, value as string);
      else (config[kind] as Map<string, unknown>).set(name, value);
      if (slicer.due()) await slicer.next();
    }
    const { version, files, summary, secretFiles } = message;
    // Off-thread checks serve reloads, which do not lint: no warnings cross back.
    const checked: CheckedFolder = { ok: true, config, secrets, version, files, summary, secretFiles, warnings: [] };
    return checked;
  } catch (err) {
    return failed(`config check result could not be read (${describe(err)})`);
  }
}

/** An error's first line, scrubbed: whatever a crash says must not carry a credential into a log. */
function describe(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return redact(text.split('\n')[0]!.trim()) || 'no message';
}
