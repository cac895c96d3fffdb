// Reading untrusted JSON bodies with errors that name the offending path.
// Inbound decoders fail with 400 (the caller's mistake); upstream decoders pass
// 502 (the upstream sent something that is not a reply). Shared by the
// openai-chat, anthropic and gemini codecs.

import { FormatError } from '../codec.ts';

export type JsonObject = Record<string, unknown>;

export function isRecord(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
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
  if (typeof value !== 'string') {
    throw new FormatError(`${path}.${key} must be a string, got ${describe(value)}`, status);
  }
  return value;
}

/** Absent and null both read as undefined: clients send `"stop": null` and mean "none". */
export function readOptionalString(object: JsonObject, key: string, path: string, status = 400): string | undefined {
  const value = object[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') {
    throw new FormatError(`${path}.${key} must be a string, got ${describe(value)}`, status);
  }
  return value;
}

export function readOptionalNumber(object: JsonObject, key: string, path: string, status = 400): number | undefined {
  const value = object[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new FormatError(`${path}.${key} must be a number, got ${describe(value)}`, status);
  }
  return value;
}

export function readOptionalInteger(object: JsonObject, key: string, path: string, status = 400): number | undefined {
  const value = readOptionalNumber(object, key, path, status);
  if (value !== undefined && (!Number.isInteger(value) || value < 0)) {
    throw new FormatError(`${path}.${key} must be a non-negative integer, got ${value}`, status);
  }
  return value;
}

export function readOptionalBoolean(object: JsonObject, key: string, path: string, status = 400): boolean | undefined {
  const value = object[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') {
    throw new FormatError(`${path}.${key} must be a boolean, got ${describe(value)}`, status);
  }
  return value;
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
