// Exact-value redaction of the upstream credentials a config resolves. Pattern
// scrubbing (logger.ts) catches what looks like a key; this catches what IS
// one, whatever it looks like: an upstream error body that echoes the
// request's own `x-api-key` or `x-goog-api-key` must not carry it back to the
// caller, into a usage line or into a log.
//
// Each value is also looked for in the two forms an echo commonly takes: JSON
// string escaping and URL encoding. Values shorter than MIN_SECRET_LENGTH are
// left alone: no provider issues keys that short, and redacting a two-letter
// test value would mangle ordinary replies.

export const MIN_SECRET_LENGTH = 8;
export const REDACTED = '[redacted]';

export class CredentialRedactor {
  /** Longest first, so a value that contains another is replaced whole. */
  private readonly needles: readonly string[];

  constructor(values: Iterable<string>) {
    const found = new Set<string>();
    for (const value of values) {
      if (value.length < MIN_SECRET_LENGTH) continue;
      found.add(value);
      const json = JSON.stringify(value).slice(1, -1);
      if (json !== value) found.add(json);
      const url = encodeURIComponent(value);
      if (url !== value) found.add(url);
    }
    this.needles = [...found].sort((a, b) => b.length - a.length);
  }

  /** True when there is nothing to redact (the request path then skips the scan). */
  get empty(): boolean {
    return this.needles.length === 0;
  }

  /** The values themselves (for merging redactors across reloads). */
  get values(): readonly string[] {
    return this.needles;
  }

  /** `text` with every known credential replaced by [redacted]. */
  redact(text: string): string {
    let out = text;
    for (const needle of this.needles) {
      if (out.includes(needle)) out = out.replaceAll(needle, REDACTED);
    }
    return out;
  }
}

export const noCredentials = new CredentialRedactor([]);
