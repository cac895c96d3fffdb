// Responses tools and tool_choice -> IR. Upstreams take functions only, so
// each tool Codex sends becomes one (tool-names.ts says how its calls come
// back): flat and namespaced functions, `custom` freeform tools (one string
// `input`), and a client-executed `tool_search`. OpenAI's hosted tools
// (web_search, file_search, code_interpreter, image_generation, computer use,
// mcp, local_shell...) run inside OpenAI and no other upstream can run them:
// they are left out and named in `dropped` (the request still works; the
// model just does not get that tool).

import { FormatError } from '../codec.ts';
import type { ToolChoice, ToolDefinition } from '../ir.ts';
import { isRecord, readArray, readOptionalBoolean, readOptionalString, readRecord, readString } from '../shared/json-reader.ts';
import type { JsonObject } from '../shared/json-reader.ts';
import { readFunctionTool } from '../shared/read-function-tool.ts';
import { flatName, TOOL_SEARCH_NAME } from './tool-names.ts';

/** The one parameter a custom tool's function takes. */
export const CUSTOM_INPUT = 'input';

/**
 * Every tool of every list (`tools`, then `additional_tools` items and loaded
 * tool_search results), flattened and de-duplicated by upstream name.
 * Hosted tools are appended to `dropped` as `tools:TYPE`.
 */
export function convertTools(lists: readonly { where: string; tools: unknown }[], dropped: string[]): ToolDefinition[] {
  const out = new Map<string, ToolDefinition>();
  const add = (definition: ToolDefinition) => { if (!out.has(definition.name)) out.set(definition.name, definition); };
  const visit = (entry: unknown, where: string, namespace?: string) => {
    const tool = readRecord(entry, where);
    const type = readString(tool, 'type', where);
    switch (type) {
      case 'function': {
        const definition = readFunctionTool(tool, where);
        definition.name = flatName(namespace, definition.name);
        const strict = readOptionalBoolean(tool, 'strict', where);
        if (strict !== undefined) definition.strict = strict;
        add(definition);
        return;
      }
      case 'namespace': {
        if (namespace) throw new FormatError(`${where}: a namespace inside a namespace is not supported`);
        const name = readString(tool, 'name', where);
        readArray(tool.tools, `${where}.tools`).forEach((inner, i) => visit(inner, `${where}.tools[${i}]`, name));
        return;
      }
      case 'custom':
        add(customTool(tool, where, namespace));
        return;
      case 'tool_search':
        add({
          name: TOOL_SEARCH_NAME,
          description: readOptionalString(tool, 'description', where) ?? 'Search for tools that can help with the task; the matching tools become available.',
          parameters: isRecord(tool.parameters) ? tool.parameters : { type: 'object', properties: { query: { type: 'string' } }, required: ['query'] },
        });
        return;
      default:
        if (!dropped.includes(`tools:${type}`)) dropped.push(`tools:${type}`);
    }
  };
  for (const { where, tools } of lists) {
    if (tools === undefined || tools === null) continue;
    readArray(tools, where).forEach((entry, index) => visit(entry, `${where}[${index}]`));
  }
  return [...out.values()];
}

/** A freeform tool as a function of one string; its grammar (if any) tells the model what the string must look like. */
function customTool(tool: JsonObject, where: string, namespace?: string): ToolDefinition {
  const name = readString(tool, 'name', where);
  const description = readOptionalString(tool, 'description', where) ?? '';
  const format = isRecord(tool.format) ? tool.format : undefined;
  const grammar = format?.type === 'grammar' && typeof format.definition === 'string'
    ? `\n\nThe input must follow this ${typeof format.syntax === 'string' ? format.syntax : ''} grammar:\n${format.definition}`
    : '';
  return {
    name: flatName(namespace, name),
    description: `${description}${grammar}`.trim() || `Freeform input for ${name}.`,
    parameters: {
      type: 'object',
      properties: { [CUSTOM_INPUT]: { type: 'string', description: `The raw input for ${name}, exactly as the tool takes it.` } },
      required: [CUSTOM_INPUT],
      additionalProperties: false,
    },
  };
}

export function convertToolChoice(choice: unknown): ToolChoice | undefined {
  if (choice === undefined || choice === null) return undefined;
  if (choice === 'auto' || choice === 'none' || choice === 'required') return { type: choice };
  if (isRecord(choice) && (choice.type === 'function' || choice.type === 'custom')) {
    const name = readString(choice, 'name', 'tool_choice');
    const namespace = typeof choice.namespace === 'string' ? choice.namespace : undefined;
    return { type: 'tool', name: flatName(namespace, name) };
  }
  const described = isRecord(choice) ? `type '${String(choice.type)}'` : JSON.stringify(choice);
  throw new FormatError(`tool_choice ${described} is not supported; use auto, none, required or {"type":"function","name":...}`);
}
