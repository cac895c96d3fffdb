// Merges the sections of every file by entry name. The same entry in two files
// is an error naming both; `settings` may live in one file only. Each entry
// remembers its file so later checks can point at it.

import { escapePointerSegment, formatConfigError, type ConfigError } from './config-error.ts';
import { sectionNames, type RawGroup, type RawKey, type RawPolicy, type RawProvider, type RawSettings, type SectionName } from './raw-config.ts';
import type { ParsedFile, PathSegment } from './yaml-source.ts';

export interface Entry<T> {
  name: string;
  value: T;
  file: ParsedFile;
  /** [section, name] */
  path: readonly PathSegment[];
  /**
   * True when the schema found nothing wrong with the entry itself nor at or
   * under `path` inside it: a check reads only the parts that passed, so one
   * typo neither hides other errors nor causes follow-on ones.
   */
  validAt(...path: PathSegment[]): boolean;
}

export interface MergedConfig {
  settings?: Entry<RawSettings>;
  providers: Map<string, Entry<RawProvider>>;
  groups: Map<string, Entry<RawGroup>>;
  policies: Map<string, Entry<RawPolicy>>;
  keys: Map<string, Entry<RawKey>>;
}

export interface CheckedFile {
  parsed: ParsedFile;
  invalidPointers: readonly string[];
}

const singular: Record<SectionName, string> = { providers: 'provider', groups: 'group', policies: 'policy', keys: 'key' };

export function mergeFiles(files: readonly CheckedFile[]): { merged: MergedConfig; errors: ConfigError[] } {
  const merged: MergedConfig = { providers: new Map(), groups: new Map(), policies: new Map(), keys: new Map() };
  const errors: ConfigError[] = [];

  for (const { parsed, invalidPointers } of files) {
    const invalid = new InvalidNodes(invalidPointers);
    const validator = (entryPointer: string) => (...path: PathSegment[]) =>
      invalid.trustworthy(entryPointer, entryPointer + path.map((s) => '/' + escapePointerSegment(s)).join(''));
    const doc = parsed.value;
    if (!isRecord(doc)) continue;

    if ('settings' in doc) {
      if (merged.settings) {
        errors.push(parsed.errorAt(['settings'], `settings may appear in one file only; already in ${where(merged.settings)}`, 'key'));
      } else {
        merged.settings = { name: 'settings', value: (doc.settings ?? {}) as RawSettings, file: parsed, path: ['settings'], validAt: validator('/settings') };
      }
    }

    for (const section of sectionNames) {
      const entries = doc[section];
      if (!isRecord(entries)) continue;
      const target = merged[section] as Map<string, Entry<unknown>>;
      for (const [name, value] of Object.entries(entries)) {
        const previous = target.get(name);
        if (previous) {
          errors.push(parsed.errorAt([section, name], `duplicate ${singular[section]} "${name}": already defined in ${where(previous)}`, 'key'));
          continue;
        }
        const pointer = `/${section}/${escapePointerSegment(name)}`;
        target.set(name, { name, value, file: parsed, path: [section, name], validAt: validator(pointer) });
      }
    }
  }
  return { merged, errors };
}

/**
 * The nodes of one file the schema rejected, indexed once so that asking about
 * a node costs its depth, not the number of errors: every entry asks several
 * times, and a file of 20,000 bad entries made the old scan quadratic.
 */
export class InvalidNodes {
  /** The rejected pointers themselves. */
  readonly #rejected = new Set<string>();
  /** Every rejected pointer and each of its ancestors: "something at or below here was rejected". */
  readonly #spoiled = new Set<string>();

  constructor(pointers: Iterable<string>) {
    for (const pointer of pointers) {
      this.#rejected.add(pointer);
      for (let end = pointer.length; end > 0; end = pointer.lastIndexOf('/', end - 1)) {
        const prefix = pointer.slice(0, end);
        if (this.#spoiled.has(prefix)) break; // its ancestors are in already
        this.#spoiled.add(prefix);
      }
    }
  }

  /**
   * A part is untrustworthy when the schema failed at it, inside it, or at any
   * node between it and its entry (a member that is not a mapping has no valid
   * target). `target` is `entryPointer` or a pointer below it.
   */
  trustworthy(entryPointer: string, target: string): boolean {
    if (this.#spoiled.has(target)) return false;
    for (let end = target.lastIndexOf('/'); end >= entryPointer.length; end = target.lastIndexOf('/', end - 1)) {
      if (this.#rejected.has(target.slice(0, end))) return false;
    }
    return true;
  }
}

/** `FILE:LINE:COL` of an entry's name, to name the other file in a duplicate error. */
function where(entry: Entry<unknown>): string {
  const e = entry.file.errorAt(entry.path, '', 'key');
  return formatConfigError({ ...e, message: '' }).replace(/: $/, '');
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Like isRecord, without narrowing: for typed values the schema may not have vouched for. */
export function isMapping(value: unknown): boolean {
  return isRecord(value);
}
