// IR reply -> the JSON body of a non-streamed POST /v1/responses.

import type { ChatResponse } from '../ir.ts';
import {
  finalState, itemId, itemStatus, responseId, responseObject,
} from './response-object.ts';
import type { OutputItem, ResponseObject, ResponsesEnvironment } from './response-object.ts';
import type { RequestEcho } from './request-echo.ts';
import { callItem } from './call-item.ts';
import { ToolNames } from './tool-names.ts';

export function encodeResponsesReply(
  response: ChatResponse, model: string, environment: ResponsesEnvironment, echo: RequestEcho, names: ToolNames = new ToolNames(),
): ResponseObject {
  const output: OutputItem[] = [];
  for (const part of response.content) {
    const last = output.at(-1);
    switch (part.type) {
      case 'text':
        // Adjacent text parts are one message, as the caller would have streamed it.
        if (last?.type === 'message') {
          const text = last.content[0];
          if (text) text.text += part.text;
        } else {
          output.push({
            id: itemId('msg', environment), type: 'message', status: 'completed', role: 'assistant',
            content: [{ type: 'output_text', text: part.text, annotations: [], logprobs: [] }],
          });
        }
        break;
      case 'reasoning': {
        const item: OutputItem = { id: itemId('rs', environment), type: 'reasoning', summary: [] };
        if (part.text !== '') item.summary.push({ type: 'summary_text', text: part.text });
        if (part.signature !== undefined) item.encrypted_content = part.signature;
        output.push(item);
        break;
      }
      case 'tool_call':
        output.push(callItem(names.shapeOf(part.name), part.id, part.arguments, 'completed', environment));
        break;
      default:
        // Images and tool results never appear in a model's reply.
        break;
    }
  }
  // Only the item the model was writing when it stopped is cut short.
  const last = output.at(-1);
  if (last && last.type !== 'reasoning') last.status = itemStatus(response.finishReason);

  const state = finalState(response.finishReason);
  return responseObject({
    id: responseId(response.id, environment),
    createdAt: response.created,
    model,
    echo,
    status: state.status,
    output,
    usage: response.usage,
    error: state.error,
    incompleteDetails: state.incomplete_details,
  });
}
