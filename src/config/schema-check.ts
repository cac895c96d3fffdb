// Validates one parsed file against schemas/gateway.schema.json (ajv, draft
// 2020-12) and turns ajv's errors into positioned, human-sized messages: an
// unknown field points at the key itself and suggests the closest known name.

import { readFile } from 'node:fs/promises';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import { escapePointerSegment, type ConfigError } from './config-error.ts';
import type { ParsedFile, PathSegment } from './yaml-source.ts';

const schemaUrl = new URL('../../schemas/gateway.schema.json', import.meta.url);

const validators = new Map<string, Promise<ValidateFunction>>();

/** Compiled once per process and schema; the schema files ship beside src/ and dist/. */
function getValidator(url: URL): Promise<ValidateFunction> {
  let validator = validators.get(url.href);
  if (!validator) {
    validator = (async () => {
      const schema = JSON.parse(await readFile(url, 'utf8')) as Record<string, unknown>;
      const ajv = new Ajv2020({ allErrors: true, verbose: true, strict: true, allowUnionTypes: true });
      // Editor-facing annotation (understood by the YAML language server); we use it for our own messages too.
      ajv.addKeyword({ keyword: 'patternErrorMessage', schemaType: 'string' });
      return ajv.compile(schema);
    })();
    validators.set(url.href, validator);
  }
  return validator;
}

export interface SchemaOutcome {
  errors: ConfigError[];
  /** JSON pointers of the nodes that failed, so later checks can skip entries already reported. */
  invalidPointers: string[];
}

/** Checks one parsed file against the gateway schema, or another schema of ours (routing tests). */
export async function checkSchema(parsed: ParsedFile, schema: URL = schemaUrl): Promise<SchemaOutcome> {
  const validate = await getValidator(schema);
  // An empty file is an empty mapping: nothing to validate.
  if (parsed.value === null || validate(parsed.value)) return { errors: [], invalidPointers: [] };
  const failures = validate.errors ?? [];
  return {
    errors: failures.flatMap((e) => describe(parsed, e)),
    invalidPointers: failures.map(invalidPointer),
  };
}

const typeNames: Record<string, string> = {
  object: 'a mapping', array: 'a list', string: 'a string', integer: 'an integer',
  number: 'a number', boolean: 'true or false', null: 'empty',
};

/** The node an error makes untrustworthy: an unknown field spoils only itself, not its parent. */
function invalidPointer(e: ErrorObject): string {
  if (e.propertyName !== undefined) return `${e.instancePath}/${escapePointerSegment(e.propertyName)}`;
  if (e.keyword === 'additionalProperties') {
    return `${e.instancePath}/${escapePointerSegment(String((e.params as { additionalProperty: string }).additionalProperty))}`;
  }
  return e.instancePath;
}

function parsePointer(pointer: string): PathSegment[] {
  if (pointer === '') return [];
  return pointer.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function describe(parsed: ParsedFile, e: ErrorObject): ConfigError[] {
  const path = parsePointer(e.instancePath);
  const schema = (e.parentSchema ?? {}) as Record<string, unknown>;
  // An invalid entry name: ajv reports the inner failure with `propertyName`
  // set, then a wrapping `propertyNames` error; the inner one says why.
  if (e.keyword === 'propertyNames') return [];
  if (e.propertyName !== undefined) {
    const why = typeof schema.patternErrorMessage === 'string' ? schema.patternErrorMessage : e.message ?? 'invalid';
    return [parsed.errorAt([...path, e.propertyName], `invalid name: ${why}`, 'key')];
  }
  switch (e.keyword) {
    case 'additionalProperties': {
      const field = String((e.params as { additionalProperty: string }).additionalProperty);
      const known = Object.keys((schema.properties ?? {}) as Record<string, unknown>);
      const guess = closest(field, known);
      const hint = guess ? `did you mean "${guess}"?` : known.length > 0 ? `expected one of: ${known.join(', ')}` : 'no fields allowed here';
      return [parsed.errorAt([...path, field], `unknown field; ${hint}`, 'key')];
    }
    case 'required': {
      const field = String((e.params as { missingProperty: string }).missingProperty);
      return [parsed.errorAt(path, `missing required field "${field}"`, 'key')];
    }
    case 'type': {
      const type = (e.params as { type: string | string[] }).type;
      const types = (Array.isArray(type) ? type : String(type).split(',')).map((t) => typeNames[t] ?? t);
      return [parsed.errorAt(path, `must be ${types.join(' or ')}`)];
    }
    case 'enum': {
      const allowed = (e.params as { allowedValues: unknown[] }).allowedValues;
      return [parsed.errorAt(path, `must be one of: ${allowed.map(String).join(', ')}`)];
    }
    case 'pattern': {
      const why = typeof schema.patternErrorMessage === 'string' ? schema.patternErrorMessage : `must match the pattern ${(e.params as { pattern: string }).pattern}`;
      return [parsed.errorAt(path, why)];
    }
    case 'minProperties':
      return [parsed.errorAt(path, 'must not be empty', 'key')];
    case 'minItems':
      return [parsed.errorAt(path, 'must list at least one item', 'key')];
    case 'minimum':
    case 'maximum':
      // A union like "status or timeout/network" explains itself better than ">= 400".
      if (Array.isArray(schema.type) && typeof schema.patternErrorMessage === 'string') return [parsed.errorAt(path, schema.patternErrorMessage)];
      return [parsed.errorAt(path, e.message ?? `fails ${e.keyword}`)];
    default:
      // ajv's own wording is fine for bounds and lengths ("must be >= 0").
      return [parsed.errorAt(path, e.message ?? `fails ${e.keyword}`)];
  }
}

/** The known name a typo most likely meant: edit distance at most a third of its length (min 2). */
function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(word.length / 3)) + 1;
  for (const candidate of candidates) {
    const d = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) { best = candidate; bestDistance = d; }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length]!;
}
