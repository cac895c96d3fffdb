// The request parameters a Responses `response` object repeats back. The API
// echoes them in every reply and in response.created, in_progress and the
// terminal events; OpenAI's published schema makes tools, tool_choice,
// parallel_tool_calls, temperature, top_p and instructions required, and the
// typed clients (openai-java, openai-go, openai-dotnet) refuse a reply without
// them. Only parameters the gateway honours are echoed: repeating one it
// drops (top_logprobs, truncation, service_tier...) would claim it was applied.
//
// Read leniently from the raw body: a request the decoder refuses never gets
// a reply object, so a malformed value here just falls back to the default.

import { isRecord } from '../shared/json-reader.ts';

export interface EchoedFunctionTool {
  type: 'function';
  name: string;
  description: string | null;
  parameters: Record<string, unknown> | null;
  strict: boolean | null;
}

export type EchoedToolChoice = 'auto' | 'none' | 'required' | { type: 'function'; name: string };

export interface RequestEcho {
  instructions: string | null;
  tools: EchoedFunctionTool[];
  tool_choice: EchoedToolChoice;
  parallel_tool_calls: boolean;
  /** null when the caller set none: the serving upstream's own default applies, and
   *  those differ (Gemini samples with top_p 0.95), so no number would be true for all. */
  temperature: number | null;
  top_p: number | null;
  max_output_tokens: number | null;
}

/** Unset parameters: the API's documented defaults where they hold whatever the upstream, else null. */
export const defaultEcho: RequestEcho = {
  instructions: null,
  tools: [],
  tool_choice: 'auto',
  parallel_tool_calls: true,
  temperature: null,
  top_p: null,
  max_output_tokens: null,
};

export function requestEcho(body: unknown): RequestEcho {
  if (!isRecord(body)) return defaultEcho;
  const number = (value: unknown): number | null => (typeof value === 'number' && Number.isFinite(value) ? value : null);
  return {
    instructions: typeof body.instructions === 'string' ? body.instructions : null,
    tools: Array.isArray(body.tools) ? body.tools.flatMap(echoTool) : [],
    tool_choice: echoToolChoice(body.tool_choice),
    parallel_tool_calls: typeof body.parallel_tool_calls === 'boolean' ? body.parallel_tool_calls : true,
    temperature: number(body.temperature),
    top_p: number(body.top_p),
    max_output_tokens: Number.isInteger(body.max_output_tokens) ? body.max_output_tokens as number : null,
  };
}

/** A function tool as the API echoes it: strict and parameters always present, null when unsent. */
function echoTool(tool: unknown): EchoedFunctionTool[] {
  if (!isRecord(tool) || tool.type !== 'function' || typeof tool.name !== 'string') return [];
  return [{
    type: 'function',
    name: tool.name,
    description: typeof tool.description === 'string' ? tool.description : null,
    parameters: isRecord(tool.parameters) ? tool.parameters : null,
    strict: typeof tool.strict === 'boolean' ? tool.strict : null,
  }];
}

function echoToolChoice(choice: unknown): EchoedToolChoice {
  if (choice === 'auto' || choice === 'none' || choice === 'required') return choice;
  if (isRecord(choice) && choice.type === 'function' && typeof choice.name === 'string') return { type: 'function', name: choice.name };
  return 'auto';
}
