// A tool call as the Responses caller gets it back, in the shape of the tool
// it offered (tool-names.ts): a function_call (with its namespace), a
// custom_tool_call carrying the one string, or a tool_search_call.

import { parseArgumentsObject } from '../shared/json-reader.ts';
import { CUSTOM_INPUT } from './convert-tools.ts';
import { itemId } from './response-object.ts';
import type { CallItem, ItemStatus, ResponsesEnvironment } from './response-object.ts';
import type { CallShape } from './tool-names.ts';

/** The custom tool's string: the `input` argument, or the raw text when the model wrote no JSON object. */
export function customInput(args: string): string {
  const input = parseArgumentsObject(args)?.[CUSTOM_INPUT];
  return typeof input === 'string' ? input : args;
}

export function callItem(
  shape: CallShape, callId: string, args: string, status: ItemStatus, environment: ResponsesEnvironment,
): CallItem {
  switch (shape.kind) {
    case 'custom':
      return { id: itemId('ctc', environment), type: 'custom_tool_call', status, call_id: callId, name: shape.name, input: customInput(args) };
    case 'tool_search':
      return { id: itemId('tsc', environment), type: 'tool_search_call', status, call_id: callId, execution: 'client', arguments: parseArgumentsObject(args) ?? {} };
    default:
      return {
        id: itemId('fc', environment), type: 'function_call', status, arguments: args, call_id: callId, name: shape.name,
        ...(shape.namespace !== undefined ? { namespace: shape.namespace } : {}),
      };
  }
}
