// The few fields the usage report and budget recovery read from a usage
// line, into one reused object. Lines are parsed with JSON.parse: measured on
// the gateway's own lines it reads ~500,000 lines/s, as fast as a targeted
// scanner written in JS that checks the JSON grammar (bench/scale.ts), and it
// is by definition right for every line. The report's speed comes from how
// lines are read (usage-file-lines.ts) and what is done per line, not here.

export interface UsageFields {
  /** Each field as JSON.parse gives it: undefined when absent. */
  ts: unknown;
  key: unknown;
  model: unknown;
  provider: unknown;
  error: unknown;
  input_tokens: unknown;
  output_tokens: unknown;
  cached_tokens: unknown;
  cache_write_tokens: unknown;
  reasoning_tokens: unknown;
  cost_usd: unknown;
}

export function emptyFields(): UsageFields {
  return {
    ts: undefined, key: undefined, model: undefined, provider: undefined, error: undefined, input_tokens: undefined,
    output_tokens: undefined, cached_tokens: undefined, cache_write_tokens: undefined, reasoning_tokens: undefined, cost_usd: undefined,
  };
}

/** Fills `out` from one line; false (and `out` cleared) when the line is not a JSON object. */
export function readUsageFields(text: string, out: UsageFields): boolean {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    out.ts = out.key = out.model = out.provider = out.error = undefined;
    out.input_tokens = out.output_tokens = out.cached_tokens = out.cache_write_tokens = out.reasoning_tokens = out.cost_usd = undefined;
    return false;
  }
  const r = parsed as Record<string, unknown>;
  out.ts = r.ts;
  out.key = r.key;
  out.model = r.model;
  out.provider = r.provider;
  out.error = r.error;
  out.input_tokens = r.input_tokens;
  out.output_tokens = r.output_tokens;
  out.cached_tokens = r.cached_tokens;
  out.cache_write_tokens = r.cache_write_tokens;
  out.reasoning_tokens = r.reasoning_tokens;
  out.cost_usd = r.cost_usd;
  return true;
}
