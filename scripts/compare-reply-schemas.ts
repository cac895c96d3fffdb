// Compares the reply schemas kept in test/fixtures/schemas/ with their sources,
// to refresh them: OpenAI's OpenAPI document (openai/openai-openapi, openapi.yaml
// or openapi.json) and the Anthropic SDK's TypeScript types (messages.ts and
// shared.ts from anthropics/anthropic-sdk-typescript, or the .d.ts files of the
// installed @anthropic-ai/sdk). For every component kept here it lists what
// differs from the source: required fields, properties not modelled, property
// types and enum values, union variants unknown to the source. Entries marked
// `x-decision` are reported as decided, not as drift.
//
//   node scripts/compare-reply-schemas.ts [--openapi FILE] [--anthropic FILE]...
//
// Exit 0 when nothing drifted, 1 when something did, 2 on wrong usage.

import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import ts from 'typescript';
import { parse } from 'yaml';

type Schema = Record<string, any>;
interface Document { components: { schemas: Record<string, Schema> } }

const fixtures = new URL('../test/fixtures/schemas/', import.meta.url);
const load = (file: string | URL): any => {
  const text = readFileSync(file, 'utf8');
  return String(file).endsWith('.json') ? JSON.parse(text) : parse(text, { maxAliasCount: -1 });
};

// ---- OpenAPI ------------------------------------------------------------------

const refName = (schema: Schema | undefined): string | undefined =>
  typeof schema?.$ref === 'string' ? String(schema.$ref).split('/').pop() : undefined;

/** The JSON types and literal values a schema admits, shallowly (refs followed, unions merged). */
interface Shape { types: Set<string>; values: Set<string>; any: boolean }

function shapeOf(schema: Schema | undefined, doc: Document, depth = 0): Shape {
  const shape: Shape = { types: new Set(), values: new Set(), any: false };
  if (!schema || depth > 8) return { ...shape, any: true };
  const name = refName(schema);
  if (name) {
    // OpenAPI 3.0 leftovers put `nullable: true` beside a $ref.
    const target = shapeOf(doc.components.schemas[name], doc, depth + 1);
    if (schema.nullable === true) target.types.add('null');
    return target;
  }
  for (const type of [schema.type ?? []].flat()) shape.types.add(String(type));
  if (schema.nullable === true) shape.types.add('null');
  const literals = [...(schema.enum ?? []), ...('const' in schema ? [schema.const] : [])];
  for (const value of literals) {
    if (value === null) shape.types.add('null');
    else { shape.values.add(String(value)); shape.types.add(typeof value === 'number' ? 'number' : typeof value); }
  }
  for (const part of [...(schema.anyOf ?? []), ...(schema.oneOf ?? []), ...(schema.allOf ?? [])]) {
    const inner = shapeOf(part, doc, depth + 1);
    if (inner.any) shape.any = true;
    inner.types.forEach((t) => shape.types.add(t));
    inner.values.forEach((v) => shape.values.add(v));
  }
  if (shape.types.size === 0 && shape.values.size === 0) shape.any = true;
  return shape;
}

/** An object schema's properties and required names, allOf parts merged, a lone non-null union branch taken. */
function objectOf(schema: Schema | undefined, doc: Document, depth = 0): { properties: Record<string, Schema>; required: Set<string> } | undefined {
  if (!schema || depth > 8) return undefined;
  const name = refName(schema);
  if (name) return objectOf(doc.components.schemas[name], doc, depth + 1);
  if (schema.allOf) {
    const merged = { properties: { ...(schema.properties ?? {}) }, required: new Set<string>(schema.required ?? []) };
    for (const part of schema.allOf) {
      const inner = objectOf(part, doc, depth + 1);
      if (!inner) continue;
      Object.assign(merged.properties, inner.properties);
      inner.required.forEach((r) => merged.required.add(r));
    }
    return merged;
  }
  const branches = (schema.anyOf ?? schema.oneOf ?? []).filter((b: Schema) => b.type !== 'null');
  if (!schema.properties && branches.length === 1) return objectOf(branches[0], doc, depth + 1);
  if (!schema.properties && !schema.required) return undefined;
  return { properties: schema.properties ?? {}, required: new Set(schema.required ?? []) };
}

const variants = (schema: Schema): string[] | undefined => {
  const list = (schema.oneOf ?? schema.anyOf) as Schema[] | undefined;
  const names = list?.map(refName);
  return names && names.length > 0 && names.every((n) => n !== undefined) ? names as string[] : undefined;
};

/** Inline (not named) object or array-of-object schemas are compared in place; named ones on their own. */
function inline(schema: Schema | undefined): Schema | undefined {
  if (!schema || refName(schema)) return undefined;
  if (schema.items && !refName(schema.items)) return inline(schema.items);
  const branches = (schema.anyOf ?? schema.oneOf ?? []).filter((b: Schema) => b.type !== 'null');
  if (branches.length === 1 && !schema.properties) return inline(branches[0]);
  return schema.properties || schema.required ? schema : undefined;
}

const sameSet = (a: Set<string>, b: Set<string>) => a.size === b.size && [...a].every((x) => b.has(x));
const list = (values: Iterable<string>) => [...values].sort().join(', ');

function compareOpenAPIObject(path: string, source: Schema, ours: Schema, spec: Document, own: Document, out: Report): void {
  const theirs = objectOf(source, spec);
  const mine = objectOf(ours, own);
  if (!theirs || !mine) return;
  const onlyTheirs = [...theirs.required].filter((r) => !mine.required.has(r) && !decided(mine.properties[r]));
  const onlyMine = [...mine.required].filter((r) => !theirs.required.has(r) && !decided(mine.properties[r]));
  if (onlyTheirs.length) out.drift(path, `required in the source, not here: ${list(onlyTheirs)}`);
  if (onlyMine.length) out.drift(path, `required here, not in the source: ${list(onlyMine)}`);
  const missing = Object.keys(theirs.properties).filter((p) => !(p in mine.properties));
  if (missing.length) out.drift(path, `properties not modelled: ${list(missing)}`);
  for (const [name, mineProperty] of Object.entries(mine.properties)) {
    const where = `${path}.${name}`;
    const theirsProperty = theirs.properties[name];
    if (theirsProperty === undefined) { out.drift(where, 'not in the source'); continue; }
    if (decided(mineProperty)) { out.decided(where, mineProperty['x-decision']); continue; }
    const [a, b] = [shapeOf(theirsProperty, spec), shapeOf(mineProperty, own)];
    if (!a.any && !b.any && !sameSet(a.types, b.types)) out.drift(where, `types ${list(a.types)} in the source, ${list(b.types)} here`);
    if (a.values.size && b.values.size && !sameSet(a.values, b.values)) out.drift(where, `values ${list(a.values)} in the source, ${list(b.values)} here`);
    const [innerTheirs, innerMine] = [inline(theirsProperty), inline(mineProperty)];
    if (innerTheirs && innerMine) compareOpenAPIObject(where, innerTheirs, innerMine, spec, own, out);
  }
}

function compareOpenAPI(spec: Document, own: Document, out: Report): void {
  for (const [name, ours] of Object.entries(own.components.schemas)) {
    const source = spec.components.schemas[name];
    if (!source) { out.drift(name, 'no component of that name in the source'); continue; }
    if (decided(ours)) { out.decided(name, ours['x-decision']); continue; }
    const mineVariants = variants(ours);
    if (mineVariants) {
      const theirs = variants(source) ?? [];
      const unknown = mineVariants.filter((v) => !theirs.includes(v));
      if (unknown.length) out.drift(name, `variants not in the source: ${list(unknown)}`);
      continue;
    }
    if (objectOf(ours, own)) { compareOpenAPIObject(name, source, ours, spec, own, out); continue; }
    const [a, b] = [shapeOf(source, spec), shapeOf(ours, own)];
    if (!a.any && !b.any && !sameSet(a.types, b.types)) out.drift(name, `types ${list(a.types)} in the source, ${list(b.types)} here`);
    if (a.values.size && b.values.size && !sameSet(a.values, b.values)) out.drift(name, `values ${list(a.values)} in the source, ${list(b.values)} here`);
  }
}

// ---- TypeScript (Anthropic SDK) ------------------------------------------------

interface TsProperty { optional: boolean; nullable: boolean; literals: string[]; reference: string | undefined }
interface TsTypes { interfaces: Map<string, Map<string, TsProperty>>; aliases: Map<string, { literals: string[]; references: string[] }> }

function readTypeScript(files: string[]): TsTypes {
  const types: TsTypes = { interfaces: new Map(), aliases: new Map() };
  for (const file of files) {
    const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
    const visit = (node: ts.Node, prefix: string): void => {
      if (ts.isModuleDeclaration(node) && node.body && ts.isModuleBlock(node.body)) {
        for (const statement of node.body.statements) visit(statement, `${prefix}${node.name.getText()}.`);
      } else if (ts.isInterfaceDeclaration(node)) {
        const properties = new Map<string, TsProperty>();
        for (const member of node.members) {
          if (!ts.isPropertySignature(member) || !member.type) continue;
          const parts = ts.isUnionTypeNode(member.type) ? member.type.types : [member.type];
          properties.set(member.name.getText().replace(/['"]/g, ''), {
            optional: member.questionToken !== undefined,
            nullable: parts.some((p) => ts.isLiteralTypeNode(p) && p.literal.kind === ts.SyntaxKind.NullKeyword),
            literals: parts.flatMap((p) => (ts.isLiteralTypeNode(p) && ts.isStringLiteral(p.literal) ? [p.literal.text] : [])),
            reference: parts.flatMap((p) => (ts.isTypeReferenceNode(p) ? [p.typeName.getText().split('.').slice(-2).join('.')] : []))[0],
          });
        }
        types.interfaces.set(`${prefix}${node.name.text}`, properties);
      } else if (ts.isTypeAliasDeclaration(node)) {
        const parts = ts.isUnionTypeNode(node.type) ? node.type.types : [node.type];
        types.aliases.set(`${prefix}${node.name.text}`, {
          literals: parts.flatMap((p) => (ts.isLiteralTypeNode(p) && ts.isStringLiteral(p.literal) ? [p.literal.text] : [])),
          references: parts.flatMap((p) => (ts.isTypeReferenceNode(p) ? [p.typeName.getText().split('.').pop()!] : [])),
        });
      }
    };
    source.statements.forEach((statement) => visit(statement, ''));
  }
  return types;
}

/** The schema's literal values, if it is an enum or const (null left out). */
function literalsOf(schema: Schema | undefined, own: Document): string[] {
  const name = refName(schema);
  if (name) return literalsOf(own.components.schemas[name], own);
  return [...(schema?.enum ?? []), ...(schema && 'const' in schema ? [schema.const] : [])].filter((v) => v !== null).map(String);
}

function compareInterface(path: string, source: Map<string, TsProperty>, ours: Schema, types: TsTypes, own: Document, out: Report): void {
  const properties: Record<string, Schema> = ours.properties ?? {};
  const required = new Set<string>(ours.required ?? []);
  for (const [name, property] of source) {
    const where = `${path}.${name}`;
    const mine = properties[name];
    if (mine === undefined) { out.drift(where, 'not modelled'); continue; }
    if (decided(mine)) { out.decided(where, mine['x-decision']); continue; }
    // The rule written at the top of anthropic/messages.yaml: required unless optional or nullable.
    const expected = !property.optional && !property.nullable;
    if (expected !== required.has(name)) out.drift(where, expected ? 'required in the SDK (not nullable), optional here' : 'optional or nullable in the SDK, required here');
    const values = literalsOf(mine, own);
    const sourceValues = property.literals.length ? property.literals : types.aliases.get(property.reference ?? '')?.literals ?? [];
    if (values.length && sourceValues.length && !sameSet(new Set(values), new Set(sourceValues))) {
      out.drift(where, `values ${list(sourceValues)} in the SDK, ${list(values)} here`);
    }
    const nested = property.reference ? types.interfaces.get(property.reference) ?? types.interfaces.get(property.reference.split('.').pop()!) : undefined;
    if (nested && mine.properties && !refName(mine)) compareInterface(where, nested, mine, types, own, out);
  }
  for (const name of Object.keys(properties)) if (!source.has(name)) out.drift(`${path}.${name}`, 'not in the SDK');
}

function compareTypeScript(types: TsTypes, own: Document, out: Report): void {
  for (const [name, ours] of Object.entries(own.components.schemas)) {
    if (decided(ours)) { out.decided(name, ours['x-decision']); continue; }
    const source = types.interfaces.get(name);
    const alias = types.aliases.get(name);
    if (source) { compareInterface(name, source, ours, types, own, out); continue; }
    if (!alias) { out.drift(name, 'no interface or type of that name in the SDK'); continue; }
    const mineVariants = variants(ours);
    if (mineVariants) {
      const unknown = mineVariants.filter((v) => !alias.references.includes(v));
      if (unknown.length) out.drift(name, `variants not in the SDK: ${list(unknown)}`);
    } else if (alias.literals.length && !sameSet(new Set(alias.literals), new Set(literalsOf(ours, own)))) {
      out.drift(name, `values ${list(alias.literals)} in the SDK, ${list(literalsOf(ours, own))} here`);
    }
  }
}

// ---- report ---------------------------------------------------------------------

const decided = (schema: Schema | undefined): boolean => typeof schema?.['x-decision'] === 'string';

export class Report {
  readonly drifts: string[] = [];
  readonly decisions: string[] = [];
  private readonly prefix: string;
  constructor(prefix: string) { this.prefix = prefix; }
  drift(where: string, what: string): void { this.drifts.push(`${this.prefix}${where}: ${what}`); }
  decided(where: string, why: string): void { this.decisions.push(`${this.prefix}${where}: ${why.split('. ')[0]}`); }
}

/** How test/fixtures/schemas/openai/replies.yaml differs from an OpenAPI document. */
export function openAIDrift(specFile: string): Report {
  const report = new Report('openai ');
  compareOpenAPI(load(specFile) as Document, load(new URL('openai/replies.yaml', fixtures)) as Document, report);
  return report;
}

/** How test/fixtures/schemas/anthropic/messages.yaml differs from the SDK's type files. */
export function anthropicDrift(typeFiles: string[]): Report {
  const report = new Report('anthropic ');
  compareTypeScript(readTypeScript(typeFiles), load(new URL('anthropic/messages.yaml', fixtures)) as Document, report);
  return report;
}

function main(): number {
  let args;
  try {
    args = parseArgs({ options: { openapi: { type: 'string' }, anthropic: { type: 'string', multiple: true }, help: { type: 'boolean' } } });
  } catch (error) {
    console.error((error as Error).message);
    return 2;
  }
  if (args.values.help || (!args.values.openapi && !args.values.anthropic)) {
    console.log('usage: node scripts/compare-reply-schemas.ts [--openapi openapi.yaml] [--anthropic messages.ts --anthropic shared.ts]');
    return args.values.help ? 0 : 2;
  }
  const reports: Report[] = [];
  if (args.values.openapi) reports.push(openAIDrift(args.values.openapi));
  if (args.values.anthropic) reports.push(anthropicDrift(args.values.anthropic));
  for (const report of reports) {
    for (const line of report.decisions) console.log(`decided  ${line}`);
    for (const line of report.drifts) console.log(`DRIFT    ${line}`);
  }
  const drifts = reports.reduce((n, r) => n + r.drifts.length, 0);
  console.log(drifts === 0 ? 'no drift' : `${drifts} differences`);
  return drifts === 0 ? 0 : 1;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) process.exitCode = main();
