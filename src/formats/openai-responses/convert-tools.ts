// Responses tools and tool_choice -> IR. Only function tools have a meaning
// at every provider; OpenAI's hosted tools (web_search, file_search,
// computer_use, code_interpreter, mcp, ...) run inside OpenAI, so a request
// naming one is refused rather than silently answered without the tool.

import { FormatError } from '../codec.ts';
import type { ToolChoice, ToolDefinition } from '../ir.ts';
import { expectArray, expectObject, expectString, isObject, optionalBoolean, optionalString } from './json-value.ts';

export function convertTools(tools: unknown): ToolDefinition[] | undefined {
  if (tools === undefined || tools === null) return undefined;
  return expectArray(tools, 'tools').map((entry, index) => {
    const where = `tools[${index}]`;
    const tool = expectObject(entry, where);
    if (tool.type !== 'function') {
      throw new FormatError(`${where}: tool type '${String(tool.type)}' is not supported; Switchyard forwards only function tools`);
    }
    const definition: ToolDefinition = {
      name: expectString(tool.name, `${where}.name`),
      parameters: tool.parameters === undefined || tool.parameters === null
        ? { type: 'object', properties: {} }
        : expectObject(tool.parameters, `${where}.parameters`),
    };
    const description = optionalString(tool.description, `${where}.description`);
    if (description !== undefined) definition.description = description;
    const strict = optionalBoolean(tool.strict, `${where}.strict`);
    if (strict !== undefined) definition.strict = strict;
    return definition;
  });
}

export function convertToolChoice(choice: unknown): ToolChoice | undefined {
  if (choice === undefined || choice === null) return undefined;
  if (choice === 'auto' || choice === 'none' || choice === 'required') return { type: choice };
  if (isObject(choice) && choice.type === 'function') {
    return { type: 'tool', name: expectString(choice.name, 'tool_choice.name') };
  }
  const described = isObject(choice) ? `type '${String(choice.type)}'` : JSON.stringify(choice);
  throw new FormatError(`tool_choice ${described} is not supported; use auto, none, required or {"type":"function","name":...}`);
}
