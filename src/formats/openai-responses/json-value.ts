// Small readers for untrusted JSON bodies: each either returns the typed value
// or throws a FormatError (400) that names the field, so decoders stay flat.

import { FormatError } from '../codec.ts';

export type JsonObject = Record<string, unknown>;

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function expectObject(value: unknown, where: string): JsonObject {
  if (!isObject(value)) throw new FormatError(`${where} must be an object`);
  return value;
}

export function expectArray(value: unknown, where: string): unknown[] {
  if (!Array.isArray(value)) throw new FormatError(`${where} must be an array`);
  return value;
}

export function expectString(value: unknown, where: string): string {
  if (typeof value !== 'string') throw new FormatError(`${where} must be a string`);
  return value;
}

/** undefined and null both mean "not given". */
export function optionalString(value: unknown, where: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  return expectString(value, where);
}

export function optionalNumber(value: unknown, where: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new FormatError(`${where} must be a number`);
  return value;
}

export function optionalBoolean(value: unknown, where: string): boolean | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw new FormatError(`${where} must be a boolean`);
  return value;
}

export function optionalPositiveInteger(value: unknown, where: string): number | undefined {
  const number = optionalNumber(value, where);
  if (number === undefined) return undefined;
  if (!Number.isInteger(number) || number < 1) throw new FormatError(`${where} must be a positive integer`);
  return number;
}
