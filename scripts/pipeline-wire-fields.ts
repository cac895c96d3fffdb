// Lists the wire-format field names that src/pipeline/ still spells out, in
// code (identifiers, property names, strings, templates, regular expressions;
// comments do not count). The pipeline should ask the codecs instead (#17).
//
//   node scripts/pipeline-wire-fields.ts [FOLDER]
//
// Prints one `file:line  field` per hit and a count per field.

import { globSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';

/** Field names only a wire format has: any mention in code is a hit. */
export const wireFields = [
  // OpenAI chat
  'stream_options', 'include_usage', 'messages', 'choices', 'delta', 'finish_reason', 'tool_calls',
  'prompt_tokens', 'completion_tokens', 'total_tokens', 'prompt_tokens_details', 'completion_tokens_details', 'max_tokens',
  'max_completion_tokens', 'reasoning_effort', 'response_format',
  // Anthropic
  'metadata', 'user_id', 'content_block', 'stop_reason', 'input_tokens', 'output_tokens', 'message_start', 'message_delta',
  'message_stop', 'cache_read_input_tokens', 'cache_creation_input_tokens', 'anthropic_version',
  // Gemini
  'candidates', 'usageMetadata', 'promptTokenCount', 'candidatesTokenCount', 'generationConfig', 'systemInstruction',
  // OpenAI responses
  'output_text', 'previous_response_id', 'instructions',
  // Model lists
  'owned_by', 'display_name', 'max_input_tokens',
  // Ollama
  'eval_count', 'prompt_eval_count', 'done_reason',
  // The OpenAI stream terminator
  '[DONE]',
] as const;

/**
 * Names the IR and prose use too (ex.usage, ex.model, "upstream error"): a hit
 * only inside a string or regular expression that spells it JSON-quoted
 * (`'"usage"'`, `/"choices"/`, `'{"error"'`).
 */
export const wireWordsInLiterals = ['usage', 'user', 'error', 'model', 'stream', 'event', 'type', 'id'] as const;

/** Not wire fields where they appear: the usage line is Switchyard's own format (spec: usage log). */
export const notWire: Readonly<Record<string, readonly string[]>> = {
  'exchange.ts': ['input_tokens', 'output_tokens'],
};

export interface Hit { file: string; line: number; field: string }

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const word = (name: string) => new RegExp(`(?<![A-Za-z0-9_])${escape(name)}(?![A-Za-z0-9_])`, 'g');
const fieldPatterns = wireFields.map((f) => [f, word(f)] as const);

/** `from '…'` and `import('…')` name files, not fields. */
function isModuleSpecifier(node: ts.Node): boolean {
  const parent = node.parent;
  return (ts.isImportDeclaration(parent) || ts.isExportDeclaration(parent)) && parent.moduleSpecifier === node
    || ts.isCallExpression(parent) && parent.expression.kind === ts.SyntaxKind.ImportKeyword
    || ts.isLiteralTypeNode(parent) && ts.isImportTypeNode(parent.parent);
}

/** A property being read, written or declared (`body.messages`, `{ stream_options: … }`), not a local variable's name. */
function isPropertyName(node: ts.Identifier): boolean {
  const parent = node.parent;
  return (ts.isPropertyAccessExpression(parent) && parent.name === node)
    || ((ts.isPropertyAssignment(parent) || ts.isPropertySignature(parent) || ts.isPropertyDeclaration(parent)) && parent.name === node)
    || ts.isShorthandPropertyAssignment(parent)
    || (ts.isBindingElement(parent) && (parent.propertyName === node || (!parent.propertyName && ts.isObjectBindingPattern(parent.parent))));
}

function isLiteral(node: ts.Node): boolean {
  return ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node) || ts.isTemplateHead(node)
    || ts.isTemplateMiddle(node) || ts.isTemplateTail(node) || ts.isRegularExpressionLiteral(node);
}

/** Hits in one TypeScript source (path only for the report). */
export function wireFieldHits(file: string, text: string): Hit[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const hits: Hit[] = [];
  const record = (node: ts.Node, token: string, patterns: ReadonlyArray<readonly [string, RegExp]>) => {
    for (const [field, pattern] of patterns) {
      for (const _ of token.matchAll(pattern)) hits.push({ file, line: line(node), field });
    }
  };
  const line = (node: ts.Node) => source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
  const visit = (node: ts.Node) => {
    if (ts.isIdentifier(node) && isPropertyName(node)) {
      record(node, node.text, fieldPatterns);
      // `body` is the caller's raw JSON throughout the pipeline: any field read from it is a wire field.
      const parent = node.parent;
      if (ts.isPropertyAccessExpression(parent) && ts.isIdentifier(parent.expression) && parent.expression.text === 'body' && !fieldPatterns.some(([f]) => f === node.text)) {
        hits.push({ file, line: line(node), field: `body.${node.text}` });
      }
    }
    else if (isLiteral(node) && !isModuleSpecifier(node)) {
      const token = node.getText(source);
      record(node, token, fieldPatterns);
      const value = ts.isRegularExpressionLiteral(node) ? token : (node as ts.LiteralLikeNode).text;
      for (const name of wireWordsInLiterals) {
        if (value.includes(`"${name}"`)) hits.push({ file, line: line(node), field: name });
      }
    }
    node.forEachChild(visit);
  };
  visit(source);
  return hits.filter((h) => !notWire[file]?.includes(h.field));
}

/** Every hit in the .ts files of a folder. */
export function folderHits(folder: string): Hit[] {
  const root = resolve(folder);
  return globSync('**/*.ts', { cwd: root }).sort().flatMap((file) => wireFieldHits(file, readFileSync(join(root, file), 'utf8')));
}

/** field -> hits, sorted by field. */
export function countByField(hits: readonly Hit[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const { field } of [...hits].sort((a, b) => a.field.localeCompare(b.field))) counts[field] = (counts[field] ?? 0) + 1;
  return counts;
}

function main(): void {
  const folder = process.argv[2] ?? join(import.meta.dirname, '..', 'src', 'pipeline');
  const hits = folderHits(folder);
  for (const h of hits) console.log(`${h.file}:${h.line}  ${h.field}`);
  console.log(JSON.stringify(countByField(hits)));
  console.log(`${hits.length} hits`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main();
