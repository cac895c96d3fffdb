// Responses tools and tool_choice -> IR. Only function tools have a meaning
// at every provider; OpenAI's hosted tools (web_search, file_search,
// computer_use, code_interpreter, mcp, ...) run inside OpenAI, so a request
// naming one is refused rather than silently answered without the tool.

import { FormatError } from '../codec.ts';
import type { ToolChoice, ToolDefinition } from '../ir.ts';
import { isRecord, readArray, readOptionalBoolean, readRecord, readString } from '../shared/json-reader.ts';
import { readFunctionTool } from '../shared/read-function-tool.ts';

export function convertTools(tools: unknown): ToolDefinition[] | undefined {
  if (tools === undefined || tools === null) return undefined;
  return readArray(tools, 'tools').map((entry, index) => {
    const where = `tools[${index}]`;
    const tool = readRecord(entry, where);
    if (tool.type !== 'function') {
      throw new FormatError(`${where}: tool type '${String(tool.type)}' is not supported; Switchyard forwards only function tools`);
    }
    const definition = readFunctionTool(tool, where);
    const strict = readOptionalBoolean(tool, 'strict', where);
    if (strict !== undefined) definition.strict = strict;
    return definition;
  });
}

export function convertToolChoice(choice: unknown): ToolChoice | undefined {
  if (choice === undefined || choice === null) return undefined;
  if (choice === 'auto' || choice === 'none' || choice === 'required') return { type: choice };
  if (isRecord(choice) && choice.type === 'function') {
    return { type: 'tool', name: readString(choice, 'name', 'tool_choice') };
  }
  const described = isRecord(choice) ? `type '${String(choice.type)}'` : JSON.stringify(choice);
  throw new FormatError(`tool_choice ${described} is not supported; use auto, none, required or {"type":"function","name":...}`);
}
