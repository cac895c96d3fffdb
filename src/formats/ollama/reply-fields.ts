// Pieces shared by Ollama's JSON replies and NDJSON streams: tool calls with
// whole-object arguments, done_reason, and the final counters.

import type { FinishReason, TokenUsage } from '../ir.ts';

export interface OllamaToolCall {
  id: string;
  function: { index: number; name: string; arguments: unknown };
}

/** Clock injectable so tests can pin created_at and durations. */
export interface OllamaEnvironment {
  /** Milliseconds since the epoch. */
  now: () => number;
}

export const defaultEnvironment: OllamaEnvironment = { now: () => Date.now() };

/** Ollama calls end in "stop" too: it has no separate tool-call reason. */
export function doneReason(reason: FinishReason | undefined): 'stop' | 'length' {
  return reason === 'length' ? 'length' : 'stop';
}

/** Ollama sends arguments as an object. Arguments that are not a JSON object
 *  (a model's malformed output) are passed on as their text, not replaced. */
export function toolCall(index: number, id: string, name: string, argumentsText: string): OllamaToolCall {
  let parsed: unknown = argumentsText;
  if (argumentsText.trim() === '') parsed = {};
  else {
    try {
      const value: unknown = JSON.parse(argumentsText);
      if (typeof value === 'object' && value !== null && !Array.isArray(value)) parsed = value;
    } catch {
      // keep the text
    }
  }
  return { id, function: { index, name, arguments: parsed } };
}

export interface Counters {
  total_duration: number;
  load_duration: number;
  prompt_eval_count: number;
  prompt_eval_duration: number;
  eval_count: number;
  eval_duration: number;
}

/** Durations are nanoseconds; the gateway knows only what it measured. */
export function counters(usage: TokenUsage | undefined, durations: { total: number; promptEval: number; eval: number }): Counters {
  return {
    total_duration: durations.total,
    load_duration: 0,
    prompt_eval_count: usage?.input ?? 0,
    prompt_eval_duration: durations.promptEval,
    eval_count: usage?.output ?? 0,
    eval_duration: durations.eval,
  };
}

export function timestamp(milliseconds: number): string {
  return new Date(milliseconds).toISOString();
}
