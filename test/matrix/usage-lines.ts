// Finds one request's usage line by its request id. Lines land within the
// test settings' flush_ms (50 ms); poll briefly rather than assume.

import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { UsageLine } from '../../src/telemetry/usage-record.ts';

async function readAll(dir: string): Promise<UsageLine[]> {
  const files = await readdir(dir).catch(() => [] as string[]);
  const lines: UsageLine[] = [];
  for (const file of files.filter((f) => f.endsWith('.jsonl'))) {
    for (const line of (await readFile(join(dir, file), 'utf8')).split('\n')) if (line) lines.push(JSON.parse(line) as UsageLine);
  }
  return lines;
}

export async function usageLineFor(dir: string, requestId: string): Promise<UsageLine> {
  for (let i = 0; i < 250; i++) {
    const line = (await readAll(dir)).find((l) => l.request_id === requestId);
    if (line) return line;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`no usage line for request ${requestId} after 5 s`);
}
