// Reading untrusted JSON bodies with errors that name the offending path and
// say what was found instead. Inbound decoders fail with 400 (the caller's
// mistake); upstream decoders pass 502 (the upstream sent something that is
// not a reply). The one reader every codec uses, so a wrong field reads the
// same way whichever protocol the caller speaks.

import { FormatError } from '../codec.ts';

export type JsonObject = Record<string, unknown>;

export function isRecord(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** What was sent instead, for error messages: "got nothing", "got an array", "got a string". */
export function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/**
 * How deep a body to be translated may nest. Translation re-serialises what
 * it reads (tool schemas, tool arguments), and JSON.stringify overflows the
 * stack at a few thousand levels; no real prompt or schema comes near this.
 */
export const MAX_NESTING = 100;

/** Refuses (400) a value nesting deeper than `limit` objects/arrays; iterative, so any depth is safe to check. */
export function checkNesting(value: unknown, path: string, limit = MAX_NESTING): void {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (depth > limit) throw new FormatError(`${path} nests deeper than ${limit} levels`);
    const children = Array.isArray(node) ? node : Object.values(node as JsonObject);
    for (const child of children) if (typeof child === 'object' && child !== null) stack.push([child, depth + 1]);
  }
}

export function readRecord(value: unknown, path: string, status = 400): JsonObject {
  if (!isRecord(value)) throw new FormatError(`${path} must be an object, got ${describe(value)}`, status);
  return value;
}

export function readArray(value: unknown, path: string, status = 400): unknown[] {
  if (!Array.isArray(value)) throw new FormatError(`${path} must be an array, got ${describe(value)}`, status);
  return value;
}

export function readString(object: JsonObject, key: string, path: string, status = 400): string {
  const value = object[key];
  if (!isString(value)) throw new FormatError(`${path}.${key} must be a string, got ${describe(value)}`, status);
  return value;
}

/** Absent and null both read as undefined: clients send `"stop": null` and mean "none". */
export function readOptionalString(object: JsonObject, key: string, path: string, status = 400): string | undefined {
  return readOptionalField(object, key, path, status, isString, 'a string');
}

export function readOptionalNumber(object: JsonObject, key: string, path: string, status = 400): number | undefined {
  return readOptionalField(object, key, path, status, isFiniteNumber, 'a number');
}

export function readOptionalBoolean(object: JsonObject, key: string, path: string, status = 400): boolean | undefined {
  return readOptionalField(object, key, path, status, isBoolean, 'a boolean');
}

/** A whole number that may be 0. */
export function readOptionalInteger(object: JsonObject, key: string, path: string, status = 400): number | undefined {
  return readOptionalWholeNumber(object, key, path, status, 0, 'a non-negative integer');
}

/** A whole number of at least 1, for limits where 0 would ask for nothing. */
export function readOptionalPositiveInteger(object: JsonObject, key: string, path: string, status = 400): number | undefined {
  return readOptionalWholeNumber(object, key, path, status, 1, 'a positive integer');
}

function readOptionalWholeNumber(object: JsonObject, key: string, path: string, status: number, least: number, noun: string): number | undefined {
  const value = readOptionalNumber(object, key, path, status);
  if (value !== undefined && (!Number.isInteger(value) || value < least)) {
    throw new FormatError(`${path}.${key} must be ${noun}, got ${value}`, status);
  }
  return value;
}

function readOptionalField<T>(
  object: JsonObject, key: string, path: string, status: number, is: (value: unknown) => value is T, noun: string,
): T | undefined {
  const value = object[key];
  if (value === undefined || value === null) return undefined;
  if (!is(value)) throw new FormatError(`${path}.${key} must be ${noun}, got ${describe(value)}`, status);
  return value;
}

function isString(value: unknown): value is string {
  return typeof value === 'string';
}

function isFiniteNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

function isBoolean(value: unknown): value is boolean {
  return typeof value === 'boolean';
}

/** A non-negative count from a usage object; anything else reads as 0 (usage is advisory). */
export function countOf(object: JsonObject | undefined, key: string): number {
  const value = object?.[key];
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? Math.floor(value) : 0;
}

/** Tool arguments travel as JSON text in the IR; an object is what most wire formats want. */
export function parseArgumentsObject(text: string): JsonObject | undefined {
  if (text.trim() === '') return {};
  try {
    const parsed: unknown = JSON.parse(text);
    return isRecord(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** JSON text of a value, for tool arguments that arrive as objects. */
export function argumentsText(value: unknown): string {
  if (value === undefined || value === null) return '{}';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** A body that may arrive as JSON text or already parsed: the parsed value,
 *  or undefined when text is not JSON (JSON itself never parses to undefined). */
export function parseIfText(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value);
  } catch {
    return undefined;
  }
}
