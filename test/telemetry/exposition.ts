// A small parser for the Prometheus text exposition, so tests can assert on
// values and label sets the way a scraper sees them.

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Exposition {
  samples: Sample[];
  /** Metric family name -> TYPE. */
  types: Map<string, string>;
}

function unescape(value: string): string {
  return value.replace(/\\(["\\n])/g, (_, c: string) => (c === 'n' ? '\n' : c));
}

export function parseExposition(text: string): Exposition {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type) {
      types.set(type[1]!, type[2]!);
      continue;
    }
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: \d+)?$/.exec(line);
    if (!m) throw new Error(`unparsable exposition line: ${line}`);
    const labels: Record<string, string> = {};
    if (m[2]) {
      for (const pair of m[2].matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[pair[1]!] = unescape(pair[2]!);
    }
    samples.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return { samples, types };
}

/** Samples of `name` whose labels include every pair of `match`. */
export function find(expo: Exposition, name: string, match: Record<string, string> = {}): Sample[] {
  return expo.samples.filter((s) => s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v));
}

/** The value of the one sample of `name` matching `match`; throws when there is not exactly one. */
export function value(expo: Exposition, name: string, match: Record<string, string> = {}): number {
  const found = find(expo, name, match);
  if (found.length !== 1) throw new Error(`expected one sample of ${name} ${JSON.stringify(match)}, found ${found.length}`);
  return found[0]!.value;
}
