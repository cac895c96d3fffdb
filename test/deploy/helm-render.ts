// A renderer for the subset of Helm's Go templates that the Switchyard chart
// uses (helm itself is in neither the Debian nor the npm registry here), so the
// chart's tests run without helm. It follows text/template and Sprig where the
// chart relies on them:
//   - actions `{{ pipeline }}` with `{{-`/`-}}` trimming and `{{/* comments */}}`;
//   - `if`/`else if`/`else`, `range` (lists and maps in key order, `$i, $v :=`,
//     `else`), `with` (`else`), `define`/`include`/`template`, variables
//     (`$x := …`, `$x = …`, `$` for the root), pipelines and parentheses;
//   - .Values, .Release, .Chart, .Files.Get/.Files.Glob (files inside the chart
//     only, as helm), .Capabilities.APIVersions.Has, .Template;
//   - the functions in `functions` below.
// An unknown function, keyword or syntax throws, so a template that grows past
// this subset fails the test instead of rendering differently from helm. Like
// helm, values are checked against values.schema.json before rendering.

import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { Ajv } from 'ajv';
import { parse, stringify } from 'yaml';

type Value = unknown;
type Scope = Record<string, Value>;

type Node =
  | { kind: 'text'; text: string }
  | { kind: 'action'; expr: string }
  | { kind: 'if'; branches: Array<{ condition: string; body: Node[] }>; otherwise: Node[] }
  | { kind: 'range'; head: string; body: Node[]; otherwise: Node[] }
  | { kind: 'with'; head: string; body: Node[]; otherwise: Node[] }
  | { kind: 'template'; expr: string };

type Block = Extract<Node, { kind: 'if' | 'range' | 'with' }> | { kind: 'define'; name: string; body: Node[] };

/** Splits a template into text and actions, applying `{{-` and `-}}` trimming; comments vanish. */
function tokenize(template: string): Array<{ text: string } | { action: string }> {
  const tokens: Array<{ text: string } | { action: string }> = [];
  const pattern = /\{\{(-\s)?\s*(\/\*[\s\S]*?\*\/|(?:"(?:[^"\\]|\\.)*"|`[^`]*`|[^"`}]|\}(?!\}))*?)\s*(\s-)?\}\}/g;
  let last = 0;
  let trimNext = false;
  for (let match = pattern.exec(template); match; match = pattern.exec(template)) {
    let text = template.slice(last, match.index);
    if (trimNext) text = text.replace(/^\s+/, '');
    if (match[1]) text = text.replace(/\s+$/, '');
    tokens.push({ text });
    const action = match[2]!.trim();
    if (!action.startsWith('/*')) tokens.push({ action });
    trimNext = match[3] !== undefined;
    last = pattern.lastIndex;
  }
  let rest = template.slice(last);
  if (trimNext) rest = rest.replace(/^\s+/, '');
  tokens.push({ text: rest });
  return tokens;
}

/** Parses a template file: its body, and the named templates it defines. */
function parseTemplate(template: string, defines: Map<string, Node[]>): Node[] {
  const root: Node[] = [];
  const stack: Array<{ block: Block; into: Node[] }> = [];
  let current = root;
  for (const token of tokenize(template)) {
    if ('text' in token) { if (token.text) current.push({ kind: 'text', text: token.text }); continue; }
    const word = /^[a-z]+\b/.exec(token.action)?.[0] ?? '';
    const remainder = token.action.slice(word.length).trim();
    const open = (block: Block, body: Node[]) => { stack.push({ block, into: current }); current = body; };
    if (word === 'if') {
      const node: Extract<Node, { kind: 'if' }> = { kind: 'if', branches: [{ condition: remainder, body: [] }], otherwise: [] };
      current.push(node);
      open(node, node.branches[0]!.body);
    } else if (word === 'range' || word === 'with') {
      const node: Extract<Node, { kind: 'range' | 'with' }> = { kind: word, head: remainder, body: [], otherwise: [] };
      current.push(node);
      open(node, node.body);
    } else if (word === 'define') {
      const block: Block = { kind: 'define', name: JSON.parse(remainder) as string, body: [] };
      open(block, block.body);
    } else if (word === 'else') {
      const top = stack.at(-1);
      if (!top || top.block.kind === 'define') throw new Error('else outside if/range/with');
      if (remainder.startsWith('if ')) {
        if (top.block.kind !== 'if') throw new Error('else if outside if');
        const branch = { condition: remainder.slice(3).trim(), body: [] as Node[] };
        top.block.branches.push(branch);
        current = branch.body;
      } else if (remainder === '') {
        current = top.block.otherwise;
      } else {
        throw new Error(`the test renderer does not support 'else ${remainder}'`);
      }
    } else if (word === 'end') {
      const top = stack.pop();
      if (!top) throw new Error('end without a block');
      if (top.block.kind === 'define') defines.set(top.block.name, top.block.body);
      current = top.into;
    } else if (word === 'template') {
      current.push({ kind: 'template', expr: remainder });
    } else if (['block', 'break', 'continue'].includes(word)) {
      throw new Error(`the test renderer does not support '${word}'`);
    } else {
      current.push({ kind: 'action', expr: token.action });
    }
  }
  if (stack.length > 0) throw new Error(`unclosed '${stack.at(-1)!.block.kind}'`);
  return root;
}

/** Go template truthiness (and Sprig's `empty`): false, 0, nil, and empty strings, maps and lists are false. */
function truthy(value: Value): boolean {
  if (value === null || value === undefined || value === false || value === 0 || value === '') return false;
  if (Array.isArray(value)) return value.length > 0;
  if (typeof value === 'object') return Object.keys(value).length > 0;
  return true;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** How text/template prints a value. */
function print(value: Value): string {
  if (value === undefined || value === null) return '';
  if (Array.isArray(value)) return `[${value.map(print).join(' ')}]`;
  if (isRecord(value)) return `map[${Object.keys(value).sort().map((k) => `${k}:${print(value[k])}`).join(' ')}]`;
  return String(value);
}

function sprintf(format: string, args: Value[]): string {
  let i = 0;
  return format.replace(/%([sdvq%])/g, (_m, verb: string) => {
    if (verb === '%') return '%';
    const arg = args[i++];
    if (verb === 'q') return JSON.stringify(print(arg));
    if (verb === 'd') return String(Math.trunc(Number(arg)));
    return print(arg);
  });
}

function words(expr: string): string[] {
  const out: string[] = [];
  const pattern = /\s*("(?:[^"\\]|\\.)*"|`[^`]*`|:=|\(|\)|\||,|=|[^\s()|,=]+)/g;
  for (let match = pattern.exec(expr); match; match = pattern.exec(expr)) out.push(match[1]!);
  return out;
}

interface Context { dot: Value; root: Scope; vars: Array<Map<string, Value>> }

class Renderer {
  readonly defines = new Map<string, Node[]>();
  private depth = 0;
  private readonly functions: Record<string, (...args: Value[]) => Value>;

  constructor() {
    const include = (name: Value, dot: Value): string => this.include(String(name), dot);
    this.functions = {
      include,
      tpl: (text, dot) => {
        const nodes = parseTemplate(String(text), this.defines);
        return this.renderNodes(nodes, { dot, root: dot as Scope, vars: [new Map([['$', dot]])] });
      },
      toYaml: (v) => (v === undefined || v === null ? 'null' : stringify(v, { lineWidth: 0 }).replace(/\n$/, '')),
      toJson: (v) => JSON.stringify(v ?? null),
      indent: (n, s) => String(s).split('\n').map((line) => ' '.repeat(Number(n)) + line).join('\n'),
      nindent: (n, s) => '\n' + String(s).split('\n').map((line) => ' '.repeat(Number(n)) + line).join('\n'),
      quote: (...vs) => vs.map((v) => JSON.stringify(v === undefined || v === null ? '' : print(v))).join(' '),
      squote: (v) => `'${print(v)}'`,
      default: (fallback, v) => (truthy(v) ? v : fallback),
      required: (message, v) => { if (v === undefined || v === null || v === '') throw new Error(String(message)); return v; },
      fail: (message) => { throw new Error(String(message)); },
      empty: (v) => !truthy(v),
      coalesce: (...vs) => vs.find(truthy),
      ternary: (a, b, condition) => (truthy(condition) ? a : b),
      eq: (a, ...bs) => bs.some((b) => a === b),
      ne: (a, b) => a !== b,
      lt: (a, b) => Number(a) < Number(b),
      le: (a, b) => Number(a) <= Number(b),
      gt: (a, b) => Number(a) > Number(b),
      ge: (a, b) => Number(a) >= Number(b),
      not: (v) => !truthy(v),
      and: (...args) => { for (const a of args) if (!truthy(a)) return a; return args.at(-1); },
      or: (...args) => { for (const a of args) if (truthy(a)) return a; return args.at(-1); },
      printf: (format, ...args) => sprintf(String(format), args),
      print: (...args) => args.map(print).join(''),
      trunc: (n, s) => String(s).slice(0, Number(n)),
      trimSuffix: (suffix, s) => (String(s).endsWith(String(suffix)) ? String(s).slice(0, -String(suffix).length || undefined) : String(s)),
      trimPrefix: (prefix, s) => (String(s).startsWith(String(prefix)) ? String(s).slice(String(prefix).length) : String(s)),
      trim: (s) => String(s).trim(),
      replace: (from, to, s) => String(s).split(String(from)).join(String(to)),
      lower: (s) => String(s).toLowerCase(),
      upper: (s) => String(s).toUpperCase(),
      contains: (needle, s) => String(s).includes(String(needle)),
      hasPrefix: (prefix, s) => String(s).startsWith(String(prefix)),
      hasSuffix: (suffix, s) => String(s).endsWith(String(suffix)),
      sha256sum: (s) => createHash('sha256').update(String(s)).digest('hex'),
      b64enc: (s) => Buffer.from(String(s)).toString('base64'),
      base: (s) => basename(String(s)),
      toString: (v: Value) => print(v),
      int: (v) => Math.trunc(Number(v)),
      dict: (...kv) => { const out: Record<string, Value> = {}; for (let i = 0; i < kv.length; i += 2) out[String(kv[i])] = kv[i + 1]; return out; },
      list: (...vs: Value[]) => vs,
      hasKey: (map, key) => isRecord(map) && Object.hasOwn(map, String(key)),
      get: (map, key) => (isRecord(map) ? map[String(key)] ?? '' : ''),
      keys: (...maps) => maps.flatMap((m) => (isRecord(m) ? Object.keys(m) : [])),
      sortAlpha: (list) => [...(list as string[])].sort(),
      join: (sep, list) => (list as Value[]).map(print).join(String(sep)),
      kindIs: (kind, v) => (kind === 'map' ? isRecord(v) : kind === 'slice' ? Array.isArray(v) : kind === 'string' ? typeof v === 'string' : kind === 'bool' ? typeof v === 'boolean' : false),
      merge: (target, ...sources) => {
        // Sprig's merge: keys of the first map win; the first map is changed and returned.
        const out = target as Record<string, Value>;
        for (const source of sources) if (isRecord(source)) for (const [k, v] of Object.entries(source)) if (!(k in out)) out[k] = v;
        return out;
      },
      omit: (map, ...drop) => Object.fromEntries(Object.entries(map as Record<string, Value>).filter(([k]) => !drop.includes(k))),
    };
  }

  include(name: string, dot: Value): string {
    const body = this.defines.get(name);
    if (!body) throw new Error(`no template named "${name}"`);
    if (++this.depth > 50) throw new Error(`include depth exceeded at "${name}"`);
    try {
      return this.renderNodes(body, { dot, root: (this.currentRoot ?? dot) as Scope, vars: [new Map([['$', dot]])] });
    } finally {
      this.depth--;
    }
  }

  private currentRoot: Scope | undefined;

  render(nodes: Node[], root: Scope): string {
    this.currentRoot = root;
    return this.renderNodes(nodes, { dot: root, root, vars: [new Map([['$', root]])] });
  }

  private lookupVar(ctx: Context, name: string): Value {
    for (let i = ctx.vars.length - 1; i >= 0; i--) if (ctx.vars[i]!.has(name)) return ctx.vars[i]!.get(name);
    throw new Error(`undefined variable ${name}`);
  }

  private assignVar(ctx: Context, name: string, value: Value): void {
    for (let i = ctx.vars.length - 1; i >= 0; i--) if (ctx.vars[i]!.has(name)) { ctx.vars[i]!.set(name, value); return; }
    throw new Error(`undefined variable ${name}`);
  }

  /** Evaluates a pipeline (words[from..]) and returns its value and where it stopped. */
  private evaluate(expr: string, ctx: Context): Value {
    const list = words(expr);
    let position = 0;
    const field = (value: Value, path: string): Value => {
      for (const part of path.split('.').filter(Boolean)) {
        value = isRecord(value) ? value[part] : undefined;
      }
      return value;
    };
    const operand = (): Value => {
      const word = list[position++];
      if (word === undefined) throw new Error(`unexpected end of '${expr}'`);
      if (word === '(') {
        const value = pipeline();
        if (list[position++] !== ')') throw new Error(`missing ) in '${expr}'`);
        return value;
      }
      if (word.startsWith('"')) return JSON.parse(word) as string;
      if (word.startsWith('`')) return word.slice(1, -1);
      if (/^-?[0-9]+(\.[0-9]+)?$/.test(word)) return Number(word);
      if (word === 'true' || word === 'false') return word === 'true';
      if (word === 'nil') return null;
      if (word === '.') return ctx.dot;
      if (word.startsWith('.')) return field(ctx.dot, word);
      if (word.startsWith('$')) {
        const [name, ...path] = word.split('.');
        return field(this.lookupVar(ctx, name!), path.join('.'));
      }
      throw new Error(`unsupported word '${word}' in '${expr}'`);
    };
    const argumentsUntilEnd = (): Value[] => {
      const args: Value[] = [];
      while (position < list.length && list[position] !== '|' && list[position] !== ')') args.push(operand());
      return args;
    };
    const command = (piped: Value[]): Value => {
      const word = list[position];
      if (word !== undefined && /^[a-zA-Z]\w*$/.test(word) && !['true', 'false', 'nil'].includes(word)) {
        const fn = this.functions[word];
        if (!fn) throw new Error(`unknown function '${word}' in '${expr}'`);
        position++;
        return fn(...argumentsUntilEnd(), ...piped);
      }
      const value = operand();
      if (typeof value === 'function') return (value as (...a: Value[]) => Value)(...argumentsUntilEnd(), ...piped);
      if (piped.length > 0) throw new Error(`cannot pipe into a value in '${expr}'`);
      if (position < list.length && list[position] !== '|' && list[position] !== ')') throw new Error(`'${String(word)}' is not a function in '${expr}'`);
      return value;
    };
    const pipeline = (): Value => {
      let value = command([]);
      while (list[position] === '|') {
        position++;
        value = command([value]);
      }
      return value;
    };
    const result = pipeline();
    if (position !== list.length) throw new Error(`trailing words in '${expr}'`);
    return result;
  }

  /** `$a, $b := pipeline` or `$a := pipeline` or a plain pipeline. */
  private splitDeclaration(head: string): { names: string[]; op: ':=' | '=' | null; expr: string } {
    const match = /^(\$\w*(?:\s*,\s*\$\w*)?)\s*(:=|=)\s*([\s\S]*)$/.exec(head);
    if (!match) return { names: [], op: null, expr: head };
    return { names: match[1]!.split(',').map((s) => s.trim()), op: match[2] as ':=' | '=', expr: match[3]! };
  }

  private renderNodes(nodes: Node[], outer: Context): string {
    const ctx: Context = { ...outer, vars: [...outer.vars, new Map()] };
    let out = '';
    for (const node of nodes) {
      if (node.kind === 'text') {
        out += node.text;
      } else if (node.kind === 'action') {
        const { names, op, expr } = this.splitDeclaration(node.expr);
        const value = this.evaluate(expr, ctx);
        if (op === ':=') ctx.vars.at(-1)!.set(names[0]!, value);
        else if (op === '=') this.assignVar(ctx, names[0]!, value);
        else out += print(value);
      } else if (node.kind === 'template') {
        const [name, ...rest] = words(node.expr);
        out += this.include(JSON.parse(name!) as string, rest.length ? this.evaluate(rest.join(' '), ctx) : null);
      } else if (node.kind === 'if') {
        const branch = node.branches.find((b) => truthy(this.evaluate(b.condition, ctx)));
        out += this.renderNodes(branch ? branch.body : node.otherwise, ctx);
      } else if (node.kind === 'with') {
        const value = this.evaluate(node.head, ctx);
        out += truthy(value) ? this.renderNodes(node.body, { ...ctx, dot: value }) : this.renderNodes(node.otherwise, ctx);
      } else {
        const { names, expr } = this.splitDeclaration(node.head);
        const value = this.evaluate(expr, ctx);
        const entries: Array<[Value, Value]> = Array.isArray(value)
          ? value.map((v, i) => [i, v])
          : isRecord(value) ? Object.keys(value).sort().map((k) => [k, value[k]]) : [];
        if (value !== undefined && value !== null && !Array.isArray(value) && !isRecord(value)) throw new Error(`range over ${typeof value}`);
        if (entries.length === 0) { out += this.renderNodes(node.otherwise, ctx); continue; }
        for (const [key, item] of entries) {
          const vars = new Map<string, Value>();
          if (names.length === 1) vars.set(names[0]!, item);
          if (names.length === 2) { vars.set(names[0]!, key); vars.set(names[1]!, item); }
          out += this.renderNodes(node.body, { ...ctx, dot: item, vars: [...ctx.vars, vars] });
        }
      }
    }
    return out;
  }
}

/** Helm's value merge: maps merge recursively, anything else replaces; null deletes a default. */
export function mergeValues(base: Record<string, unknown>, override: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(override)) {
    const current = out[key];
    if (value === null) delete out[key];
    else out[key] = isRecord(current) && isRecord(value) ? mergeValues(current, value) : value;
  }
  return out;
}

function walk(dir: string): string[] {
  return readdirSync(dir).sort().flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}

/** Checks values against the chart's values.schema.json, as helm does before rendering. */
export function validateValues(chartDir: string, values: Record<string, unknown>): void {
  const schemaPath = join(chartDir, 'values.schema.json');
  if (!existsSync(schemaPath)) return;
  const ajv = new Ajv({ allErrors: true, strict: false });
  const validate = ajv.compile(JSON.parse(readFileSync(schemaPath, 'utf8')) as object);
  if (!validate(values)) {
    const errors = (validate.errors ?? []).map((e) => `${e.instancePath || '(root)'}: ${e.message ?? ''}${e.params && 'additionalProperty' in e.params ? ` '${String(e.params.additionalProperty)}'` : ''}`);
    throw new Error(`values don't meet the specifications of the schema(s):\n${errors.join('\n')}`);
  }
}

export interface RenderOptions { releaseName?: string; namespace?: string; values?: Record<string, unknown>; apiVersions?: string[] }

/**
 * Renders every template of a chart (templates/**, NOTES.txt and _*.tpl
 * excluded), like `helm template`: file path (relative to templates/) -> text.
 */
export function renderChart(chartDir: string, options: RenderOptions = {}): Record<string, string> {
  const chart = parse(readFileSync(join(chartDir, 'Chart.yaml'), 'utf8')) as Record<string, unknown>;
  const defaults = parse(readFileSync(join(chartDir, 'values.yaml'), 'utf8')) as Record<string, unknown>;
  const values = mergeValues(defaults, options.values ?? {});
  validateValues(chartDir, values);
  // .Files: the chart's files outside templates/ (helm also honours .helmignore; the chart ignores no carried file).
  const files = walk(chartDir).map((p) => relative(chartDir, p)).filter((p) => !p.startsWith('templates/') && p !== 'Chart.yaml' && p !== 'values.yaml');
  const globToRegex = (glob: string) => new RegExp('^' + glob.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('[^/]*') + '$');
  const renderer = new Renderer();
  const templatesDir = join(chartDir, 'templates');
  const templates = walk(templatesDir).map((path) => ({ name: relative(templatesDir, path), path }));
  const parsed = templates.map((t) => ({ ...t, nodes: parseTemplate(readFileSync(t.path, 'utf8'), renderer.defines) }));
  const apiVersions = new Set(options.apiVersions ?? ['v1', 'apps/v1', 'policy/v1', 'autoscaling/v2', 'networking.k8s.io/v1']);
  const out: Record<string, string> = {};
  for (const template of parsed) {
    const name = basename(template.name);
    if (name.startsWith('_') || name === 'NOTES.txt' || !/\.(ya?ml|tpl)$/.test(name)) continue;
    const scope: Scope = {
      Values: values,
      Release: { Name: options.releaseName ?? 'switchyard', Namespace: options.namespace ?? 'default', Service: 'Helm', IsInstall: true, IsUpgrade: false, Revision: 1 },
      Chart: { Name: chart.name, Version: chart.version, AppVersion: chart.appVersion },
      Template: { Name: `${String(chart.name)}/templates/${template.name}`, BasePath: `${String(chart.name)}/templates` },
      Files: {
        Get: (path: Value) => (files.includes(String(path)) ? readFileSync(join(chartDir, String(path)), 'utf8') : ''),
        Glob: (pattern: Value) => Object.fromEntries(files.filter((f) => globToRegex(String(pattern)).test(f)).map((f) => [f, readFileSync(join(chartDir, f), 'utf8')])),
      },
      Capabilities: { APIVersions: { Has: (v: Value) => apiVersions.has(String(v)) }, KubeVersion: { Version: 'v1.31.0', Major: '1', Minor: '31' } },
    };
    out[template.name] = renderer.render(template.nodes, scope);
  }
  return out;
}
