// Edits a JSON request body as text so that a pass-through request reaches
// upstream byte-for-byte as the client sent it, apart from `model` (and an
// added `stream_options` on streams). Re-serialising would reorder nothing but
// could change number spellings, escapes and whitespace the client chose.

import { scanJsonObject } from './json-scan.ts';

/** Returns the index just past the JSON value starting at `i` (whitespace already skipped). */
function skipValue(text: string, i: number): number {
  const c = text.charCodeAt(i);
  if (c === 0x22 /* " */) return skipString(text, i);
  if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
    let depth = 0;
    for (let j = i; j < text.length; j++) {
      const d = text.charCodeAt(j);
      if (d === 0x22) { j = skipString(text, j) - 1; continue; }
      if (d === 0x7b || d === 0x5b) depth++;
      else if (d === 0x7d || d === 0x5d) { depth--; if (depth === 0) return j + 1; }
    }
    return -1;
  }
  let j = i;
  while (j < text.length) {
    const d = text.charCodeAt(j);
    if (d === 0x2c || d === 0x7d || d === 0x5d || d === 0x20 || d === 0x0a || d === 0x0d || d === 0x09) break;
    j++;
  }
  return j;
}

function skipString(text: string, i: number): number {
  for (let j = i + 1; j < text.length; j++) {
    const d = text.charCodeAt(j);
    if (d === 0x5c /* \ */) { j++; continue; }
    if (d === 0x22) return j + 1;
  }
  return -1;
}

function skipSpace(text: string, i: number): number {
  while (i < text.length) {
    const d = text.charCodeAt(i);
    if (d !== 0x20 && d !== 0x0a && d !== 0x0d && d !== 0x09) break;
    i++;
  }
  return i;
}

/** Span [start, end) of the value of a top-level key (and where its key starts), or undefined. `text` must be a JSON object. */
export function findTopLevelValue(text: string, key: string): { keyStart: number; start: number; end: number } | undefined {
  let i = skipSpace(text, 0);
  if (text.charCodeAt(i) !== 0x7b) return undefined;
  i = skipSpace(text, i + 1);
  while (i < text.length && text.charCodeAt(i) === 0x22) {
    const keyStart = i;
    const keyEnd = skipString(text, i);
    if (keyEnd < 0) return undefined;
    const name = JSON.parse(text.slice(i, keyEnd)) as string;
    i = skipSpace(text, keyEnd);
    if (text.charCodeAt(i) !== 0x3a /* : */) return undefined;
    i = skipSpace(text, i + 1);
    const valueEnd = skipValue(text, i);
    if (valueEnd < 0) return undefined;
    if (name === key) return { keyStart, start: i, end: valueEnd };
    i = skipSpace(text, valueEnd);
    if (text.charCodeAt(i) !== 0x2c /* , */) return undefined;
    i = skipSpace(text, i + 1);
  }
  return undefined;
}

/**
 * The body with its top-level `model` set to `model`, and, when `addStreamUsage`
 * is true and the client did not set `stream_options`, with
 * `"stream_options":{"include_usage":true}` added. Falls back to parse/modify/
 * stringify only when the client set stream_options without include_usage.
 */
export function rewriteBody(text: string, model: string, addStreamUsage: boolean, parsed: Record<string, unknown>): string {
  if (addStreamUsage && parsed.stream_options !== undefined) {
    const options = parsed.stream_options;
    if (!(options && typeof options === 'object' && (options as Record<string, unknown>).include_usage === true)) {
      return JSON.stringify({ ...parsed, model, stream_options: { ...(options && typeof options === 'object' ? options : {}), include_usage: true } });
    }
    addStreamUsage = false;
  }
  let out = text;
  const span = findTopLevelValue(text, 'model');
  const quoted = JSON.stringify(model);
  if (span) out = text.slice(0, span.start) + quoted + text.slice(span.end);
  else out = insertField(out, `"model":${quoted}`);
  if (addStreamUsage) out = insertField(out, '"stream_options":{"include_usage":true}');
  return out;
}

/**
 * The body without its top-level `key` (and the comma that joined it), edited
 * as bytes like the rest of pass-through. Unchanged when the key is absent.
 */
export function removeTopLevelField(raw: Buffer, key: string): Buffer {
  const text = raw.toString('utf8');
  const span = findTopLevelValue(text, key);
  if (!span) return raw;
  let start = span.keyStart;
  let end = skipSpace(text, span.end);
  if (text.charCodeAt(end) === 0x2c /* , */) {
    end = skipSpace(text, end + 1);
  } else {
    // The last member: take the comma before it instead.
    let before = start - 1;
    while (before >= 0 && (text.charCodeAt(before) === 0x20 || text.charCodeAt(before) === 0x0a || text.charCodeAt(before) === 0x0d || text.charCodeAt(before) === 0x09)) before--;
    if (text.charCodeAt(before) === 0x2c) start = before;
  }
  return Buffer.from(text.slice(0, start) + text.slice(end));
}

function insertField(text: string, field: string): string {
  const open = text.indexOf('{');
  const next = skipSpace(text, open + 1);
  const separator = text.charCodeAt(next) === 0x7d /* } */ ? '' : ',';
  return text.slice(0, open + 1) + field + separator + text.slice(open + 1);
}

const MODEL_KEY = Buffer.from('"model"');
const STREAM_USAGE = Buffer.from('"stream_options":{"include_usage":true},');

function skipSpaceBytes(raw: Uint8Array, i: number): number {
  while (i < raw.length && (raw[i] === 0x20 || raw[i] === 0x0a || raw[i] === 0x0d || raw[i] === 0x09)) i++;
  return i;
}

/**
 * The body with the model value at [start, end) replaced by `model`, and with
 * `"stream_options":{"include_usage":true},` put first when `addStreamUsage`
 * (the caller has no stream_options, and the object has at least its model).
 */
export function spliceModel(raw: Buffer, start: number, end: number, model: string, addStreamUsage: boolean): Buffer {
  return spliceModelAt(raw, [{ start, end }], model, addStreamUsage);
}

/** spliceModel at several spans (a model key repeated at the top level), in body order. */
export function spliceModelAt(raw: Buffer, spans: readonly { start: number; end: number }[], model: string, addStreamUsage: boolean): Buffer {
  const value = Buffer.from(JSON.stringify(model));
  const parts: Buffer[] = [];
  let at = 0;
  if (addStreamUsage) {
    const open = skipSpaceBytes(raw, 0) + 1; // just past the top-level '{', which precedes the keys
    parts.push(raw.subarray(0, open), STREAM_USAGE);
    at = open;
  }
  for (const span of spans) {
    parts.push(raw.subarray(at, span.start), value);
    at = span.end;
  }
  parts.push(raw.subarray(at));
  return Buffer.concat(parts);
}

/**
 * rewriteBody on the request's bytes, so a large body is not decoded and
 * re-encoded just to change its model. The fast path applies when the literal
 * key `"model"` occurs once in the body: then it is the top-level key (which
 * the parsed body proves exists), and its value is checked against the
 * parsed one before the bytes are spliced. Anything else (a nested "model"
 * key, an escaped key, stream_options to amend) takes the text path.
 */
export function rewriteBodyBytes(raw: Buffer, model: string, addStreamUsage: boolean, parsed: Record<string, unknown>): Buffer {
  const at = raw.indexOf(MODEL_KEY);
  const simple = at >= 0 && raw.lastIndexOf(MODEL_KEY) === at && typeof parsed.model === 'string' && !(addStreamUsage && parsed.stream_options !== undefined);
  if (simple) {
    let i = skipSpaceBytes(raw, at + MODEL_KEY.length);
    if (raw[i] === 0x3a /* : */) {
      i = skipSpaceBytes(raw, i + 1);
      if (raw[i] === 0x22 /* " */) {
        let end = i + 1;
        while (end < raw.length && raw[end] !== 0x22) end += raw[end] === 0x5c /* \ */ ? 2 : 1;
        if (end < raw.length && JSON.parse(raw.toString('utf8', i, end + 1)) === parsed.model) return spliceModel(raw, i, end + 1, model, addStreamUsage);
      }
    }
  }
  // "model" more than once: maybe a repeated top-level key. JSON.parse (and so
  // routing) took the last; an upstream's parser may take the first. Rewrite
  // every top-level occurrence, so no parser there sees the caller's name.
  if (at >= 0 && !simple && typeof parsed.model === 'string' && !(addStreamUsage && parsed.stream_options !== undefined)) {
    const scan = scanJsonObject(raw);
    const spans = scan?.duplicates?.get('model');
    const last = scan?.members.get('model');
    if (spans && last && [...spans, last].every((span) => span.kind === 0x22 /* " */)) return spliceModelAt(raw, [...spans, last], model, addStreamUsage);
  }
  return Buffer.from(rewriteBody(raw.toString('utf8'), model, addStreamUsage, parsed));
}
