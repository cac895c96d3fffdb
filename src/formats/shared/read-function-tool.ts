// A function tool's definition (name, JSON Schema parameters, description)
// reads the same in Chat, Responses and Ollama requests; only where each
// protocol nests it differs, so callers pass the object that holds it.

import type { ToolDefinition } from '../ir.ts';
import { readOptionalString, readRecord, readString } from './json-reader.ts';
import type { JsonObject } from './json-reader.ts';

/** A tool without parameters takes none: an empty object schema, which every upstream accepts. */
export function readFunctionTool(fn: JsonObject, path: string): ToolDefinition {
  const definition: ToolDefinition = {
    name: readString(fn, 'name', path),
    parameters: fn.parameters === undefined || fn.parameters === null
      ? { type: 'object', properties: {} }
      : readRecord(fn.parameters, `${path}.parameters`),
  };
  const description = readOptionalString(fn, 'description', path);
  if (description !== undefined) definition.description = description;
  return definition;
}
