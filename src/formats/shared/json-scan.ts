// A validating scan of a JSON request body's bytes that records where each
// top-level member's value lies, so pass-through can read the few routing
// facts and splice the model without building the whole object (and, for a
// large prompt, without decoding it to a string first).
//
// Accepts exactly what JSON.parse accepts on the body decoded as UTF-8:
// RFC 8259 values, whitespace of space/tab/CR/LF only, no byte-order mark, no
// raw control character in a string, escapes \" \\ \/ \b \f \n \r \t \uXXXX.
// Bytes of 0x80 and up are only allowed inside strings (where invalid UTF-8
// decodes to U+FFFD, which JSON.parse accepts); outside they are an error
// either way. Anything it refuses, the caller parses with JSON.parse, which
// produces the error message (or, should the two ever disagree, the value):
// the scan can make a request faster, never change its answer.

/** Where one top-level member's value lies in the body: [start, end). */
export interface MemberSpan {
  start: number;
  end: number;
  /** The first byte of the value: '"' string, '{' object, '[' array, 't'/'f' boolean, 'n' null, else a number. */
  kind: number;
}

export interface JsonObjectScan {
  /** The last occurrence of each top-level name, as JSON.parse keeps the last. */
  members: Map<string, MemberSpan>;
  /** Names that occur more than once at the top level, with their earlier spans in order. */
  duplicates: Map<string, MemberSpan[]> | undefined;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

function skipSpace(b: Uint8Array, i: number): number {
  while (i < b.length && isSpace(b[i]!)) i++;
  return i;
}

function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

/** Index just past the string whose opening quote is at `i`, or -1. Sets `escaped` when it held an escape. */
function scanString(b: Uint8Array, i: number, seen: { escaped: boolean }): number {
  const n = b.length;
  i++;
  while (i < n) {
    const c = b[i]!;
    if (c === QUOTE) return i + 1;
    if (c === BACKSLASH) {
      seen.escaped = true;
      const e = b[i + 1];
      if (e === 0x75 /* u */) {
        if (i + 5 >= n || !isHex(b[i + 2]!) || !isHex(b[i + 3]!) || !isHex(b[i + 4]!) || !isHex(b[i + 5]!)) return -1;
        i += 6;
        continue;
      }
      if (e === QUOTE || e === BACKSLASH || e === 0x2f || e === 0x62 || e === 0x66 || e === 0x6e || e === 0x72 || e === 0x74) {
        i += 2;
        continue;
      }
      return -1;
    }
    if (c < 0x20) return -1;
    i++;
  }
  return -1;
}

function isDigit(c: number | undefined): boolean {
  return c !== undefined && c >= 0x30 && c <= 0x39;
}

/** Index just past the number starting at `i`, or -1. */
function scanNumber(b: Uint8Array, i: number): number {
  if (b[i] === 0x2d /* - */) i++;
  if (b[i] === 0x30) i++;
  else if (isDigit(b[i]) && b[i] !== 0x30) { while (isDigit(b[i])) i++; }
  else return -1;
  if (b[i] === 0x2e /* . */) {
    i++;
    if (!isDigit(b[i])) return -1;
    while (isDigit(b[i])) i++;
  }
  if (b[i] === 0x65 || b[i] === 0x45 /* e E */) {
    i++;
    if (b[i] === 0x2b || b[i] === 0x2d) i++;
    if (!isDigit(b[i])) return -1;
    while (isDigit(b[i])) i++;
  }
  return i;
}

function scanLiteral(b: Uint8Array, i: number, word: string): number {
  for (let k = 0; k < word.length; k++) if (b[i + k] !== word.charCodeAt(k)) return -1;
  return i + word.length;
}

/** Index just past the `"name":` of an object member starting at `i` (the quote), or -1. */
function scanMemberName(b: Uint8Array, i: number, seen: { escaped: boolean }): number {
  if (b[i] !== QUOTE) return -1;
  i = scanString(b, i, seen);
  if (i < 0) return -1;
  i = skipSpace(b, i);
  return b[i] === 0x3a /* : */ ? i + 1 : -1;
}

/** Index just past the scalar starting at `i` (string, number, literal), or -1. */
function scanScalar(b: Uint8Array, i: number, seen: { escaped: boolean }): number {
  const c = b[i];
  if (c === QUOTE) return scanString(b, i, seen);
  if (c === 0x74) return scanLiteral(b, i, 'true');
  if (c === 0x66) return scanLiteral(b, i, 'false');
  if (c === 0x6e) return scanLiteral(b, i, 'null');
  return scanNumber(b, i);
}

/**
 * Index just past the value starting at `i` (no leading whitespace), or -1
 * when it is not valid JSON. Iterative, so nesting depth costs no stack.
 */
function scanValue(b: Uint8Array, i: number): number {
  const seen = { escaped: false };
  const c = b[i];
  if (c !== 0x7b && c !== 0x5b) return scanScalar(b, i, seen);
  // One entry per open container: true for an object, false for an array.
  const stack: boolean[] = [];
  const n = b.length;
  let expectValue = true;
  for (;;) {
    i = skipSpace(b, i);
    if (i >= n) return -1;
    if (expectValue) {
      const v = b[i]!;
      if (v === 0x7b || v === 0x5b) {
        const isObject = v === 0x7b;
        stack.push(isObject);
        i = skipSpace(b, i + 1);
        if (b[i] === (isObject ? 0x7d : 0x5d)) {
          stack.pop();
          i++;
          expectValue = false;
          if (stack.length === 0) return i;
        } else if (isObject) {
          // The first key of an object.
          i = scanMemberName(b, i, seen);
          if (i < 0) return -1;
        }
        continue;
      }
      i = scanScalar(b, i, seen);
      if (i < 0) return -1;
      expectValue = false;
      if (stack.length === 0) return i;
      continue;
    }
    // After a value inside a container: a comma or the container's close.
    const inObject = stack[stack.length - 1]!;
    const d = b[i]!;
    if (d === 0x2c) {
      i = skipSpace(b, i + 1);
      if (inObject) {
        i = scanMemberName(b, i, seen);
        if (i < 0) return -1;
      }
      expectValue = true;
      continue;
    }
    if (d === (inObject ? 0x7d : 0x5d)) {
      stack.pop();
      i++;
      if (stack.length === 0) return i;
      continue;
    }
    return -1;
  }
}

/** A member name's text: the bytes as they are, or decoded when they hold an escape. */
function nameOf(b: Buffer, start: number, end: number, escaped: boolean): string {
  return escaped ? (JSON.parse(b.toString('utf8', start, end)) as string) : b.toString('utf8', start + 1, end - 1);
}

/**
 * The spans of a JSON object body's top-level members, or undefined when the
 * body is not a valid JSON object (the caller then parses it to say why).
 */
export function scanJsonObject(b: Buffer): JsonObjectScan | undefined {
  const members = new Map<string, MemberSpan>();
  let duplicates: Map<string, MemberSpan[]> | undefined;
  let i = skipSpace(b, 0);
  if (b[i] !== 0x7b) return undefined;
  i = skipSpace(b, i + 1);
  if (b[i] === 0x7d) return skipSpace(b, i + 1) === b.length ? { members, duplicates } : undefined;
  for (;;) {
    if (b[i] !== QUOTE) return undefined;
    const seen = { escaped: false };
    const nameEnd = scanString(b, i, seen);
    if (nameEnd < 0) return undefined;
    const name = nameOf(b, i, nameEnd, seen.escaped);
    i = skipSpace(b, nameEnd);
    if (b[i] !== 0x3a) return undefined;
    i = skipSpace(b, i + 1);
    const start = i;
    const end = scanValue(b, i);
    if (end < 0) return undefined;
    const earlier = members.get(name);
    if (earlier) {
      duplicates ??= new Map();
      const list = duplicates.get(name);
      if (list) list.push(earlier);
      else duplicates.set(name, [earlier]);
    }
    members.set(name, { start, end, kind: b[start]! });
    i = skipSpace(b, end);
    if (b[i] === 0x2c) { i = skipSpace(b, i + 1); continue; }
    if (b[i] === 0x7d) return skipSpace(b, i + 1) === b.length ? { members, duplicates } : undefined;
    return undefined;
  }
}

/** A member's value parsed (small values: a model name, stream_options); undefined when absent. */
export function memberValue(b: Buffer, scan: JsonObjectScan, name: string): unknown {
  const span = scan.members.get(name);
  if (!span) return undefined;
  if (span.kind === 0x74) return true;
  if (span.kind === 0x66) return false;
  if (span.kind === 0x6e) return null;
  return JSON.parse(b.toString('utf8', span.start, span.end));
}

/** A member's value when it is a string, else undefined (as a field read on the parsed body would give). */
export function stringMember(b: Buffer, scan: JsonObjectScan, name: string): string | undefined {
  const span = scan.members.get(name);
  if (!span || span.kind !== QUOTE) return undefined;
  // Without an escape the text between the quotes is the string itself.
  const backslash = b.indexOf(BACKSLASH, span.start);
  if (backslash < 0 || backslash >= span.end) return b.toString('utf8', span.start + 1, span.end - 1);
  return JSON.parse(b.toString('utf8', span.start, span.end)) as string;
}
