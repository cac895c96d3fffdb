// The one error shape of config loading: every problem found in a config
// folder, positioned at the offending YAML node, printed `FILE:LINE:COL: message`
// the way compilers do so editors and CI logs can jump to it.

export interface ConfigError {
  /** The file as the caller named it (the folder joined with the relative path). */
  file: string;
  /** 1-based; 0 when the error concerns the whole file or folder. */
  line: number;
  /** 1-based; 0 when the error concerns the whole file or folder. */
  col: number;
  /** Starts with the JSON pointer of the node inside the file, when there is one. Never holds a secret. */
  message: string;
}

/** `FILE:LINE:COL: message`, or `FILE: message` for an error without a position. */
export function formatConfigError(e: ConfigError): string {
  return e.line > 0 ? `${e.file}:${e.line}:${e.col}: ${e.message}` : `${e.file}: ${e.message}`;
}

/** Orders errors by file, then position, and drops exact duplicates. */
export function sortConfigErrors(errors: readonly ConfigError[]): ConfigError[] {
  const seen = new Set<string>();
  const unique = errors.filter((e) => {
    const id = formatConfigError(e);
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
  return unique.sort((a, b) =>
    a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line || a.col - b.col);
}

/**
 * How many errors a load reports at most. A broken generator can produce a
 * folder with 100,000 errors; printing, logging and keeping them all costs
 * more than it helps. The first ones (in file and position order) are kept,
 * and one more line says how many were left out.
 */
export const maxReportedErrors = 1000;

/** Sorted, unique errors cut to `limit`, plus one line on `where` (the folder) counting the rest. */
export function limitConfigErrors(errors: readonly ConfigError[], where: string, limit = maxReportedErrors): ConfigError[] {
  const sorted = sortConfigErrors(errors);
  if (sorted.length <= limit) return sorted;
  const more = sorted.length - limit;
  sorted.length = limit;
  sorted.push({ file: where, line: 0, col: 0, message: `and ${more} more error${more === 1 ? '' : 's'} not listed (a load reports the first ${limit})` });
  return sorted;
}

/** Escapes one JSON-pointer segment (RFC 6901). */
export function escapePointerSegment(segment: string | number): string {
  return String(segment).replace(/~/g, '~0').replace(/\//g, '~1');
}

export function toPointer(path: readonly (string | number)[]): string {
  return path.length === 0 ? '/' : '/' + path.map(escapePointerSegment).join('/');
}
