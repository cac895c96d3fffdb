// The tool kinds Codex sends besides flat functions, and how a call to each
// travels: upstreams know only functions, so each becomes one, under a name
// that maps back to the shape the caller offered.
// - `namespace` tools (e.g. Codex's `multi_agent_v1`) group function tools;
//   each is offered as `NAMESPACE__NAME` and its call returns as a
//   `function_call` with `namespace` and `name` apart (Codex refuses the
//   flattened name as an unknown tool).
// - `custom` (freeform) tools take one string (`apply_patch` with a lark
//   grammar): offered as a function of one string parameter `input`, with the
//   grammar in its description; the call returns as a `custom_tool_call` with
//   that string as `input`.
// - a client-executed `tool_search` tool is offered as the function
//   `tool_search`; its call returns as a `tool_search_call` with the
//   arguments as an object.
// The same map, built from the request body, serves the decoder (tools and
// input history) and the reply encoders.

import { isRecord } from '../shared/json-reader.ts';

export type CallShape =
  | { kind: 'function'; name: string; namespace?: string }
  | { kind: 'custom'; name: string }
  | { kind: 'tool_search' };

export const NAMESPACE_SEPARATOR = '__';
export const TOOL_SEARCH_NAME = 'tool_search';

export function flatName(namespace: string | undefined, name: string): string {
  return namespace ? `${namespace}${NAMESPACE_SEPARATOR}${name}` : name;
}

export class ToolNames {
  private readonly shapes = new Map<string, CallShape>();

  /** Records a tool offered under `flat`; a later offer of the same name keeps the first. */
  add(flat: string, shape: CallShape): void {
    if (!this.shapes.has(flat)) this.shapes.set(flat, shape);
  }

  /** How a call to the upstream name `flat` goes back to the caller; a plain function when unknown. */
  shapeOf(flat: string): CallShape {
    return this.shapes.get(flat) ?? { kind: 'function', name: flat };
  }
}

/** Every tool list a Responses body carries: `tools`, `additional_tools` input items, and tools a tool_search loaded. */
function toolListsOf(body: Record<string, unknown>): unknown[][] {
  const lists: unknown[][] = [];
  if (Array.isArray(body.tools)) lists.push(body.tools);
  if (Array.isArray(body.input)) {
    for (const item of body.input) {
      if (isRecord(item) && (item.type === 'additional_tools' || item.type === 'tool_search_output') && Array.isArray(item.tools)) lists.push(item.tools);
    }
  }
  return lists;
}

/** The call shapes of every tool a request offers, read leniently (the decoder reports malformed tools). */
export function toolNamesOf(body: Record<string, unknown>): ToolNames {
  const names = new ToolNames();
  const visit = (tool: unknown, namespace?: string) => {
    if (!isRecord(tool) || typeof tool.type !== 'string') return;
    if (tool.type === 'namespace' && typeof tool.name === 'string' && Array.isArray(tool.tools)) {
      for (const inner of tool.tools) visit(inner, tool.name);
    } else if (tool.type === 'function' && typeof tool.name === 'string') {
      names.add(flatName(namespace, tool.name), namespace ? { kind: 'function', name: tool.name, namespace } : { kind: 'function', name: tool.name });
    } else if (tool.type === 'custom' && typeof tool.name === 'string') {
      names.add(flatName(namespace, tool.name), { kind: 'custom', name: tool.name });
    } else if (tool.type === 'tool_search') {
      names.add(TOOL_SEARCH_NAME, { kind: 'tool_search' });
    }
  };
  for (const list of toolListsOf(body)) for (const tool of list) visit(tool);
  return names;
}
