// IR -> an Anthropic Messages request body.
// - system: the IR's system texts joined by blank lines, plus the JSON-mode
//   instruction when a response format asks for JSON (see json-mode-instruction.ts).
// - max_tokens is required by Anthropic: 4096 when the caller gave none (plus
//   the thinking budget when thinking is on, since thinking counts against it).
// - thinking: a budget (or an effort turned into one) of at least 1024 tokens
//   that leaves room for the answer under max_tokens (a quarter of it, at least
//   1024 tokens); a caller limit too small for that turns thinking off.
//   With thinking on, temperature and top_p are left out (Anthropic refuses
//   them), and a forced tool choice turns thinking off (Anthropic refuses both).
// - temperature is clamped to Anthropic's 0..1 range (OpenAI allows up to 2).

import type { ChatRequest } from '../ir.ts';
import { matchToolResults } from '../shared/match-tool-results.ts';
import { reasoningBudget } from '../shared/reasoning-budget.ts';
import { convertToAnthropicMessages } from './convert-to-anthropic-messages.ts';
import { jsonModeInstruction } from './json-mode-instruction.ts';

export const DEFAULT_MAX_TOKENS = 4096;
const MIN_THINKING_BUDGET = 1024;

export function encodeAnthropicRequest(request: ChatRequest, upstreamModel: string): Record<string, unknown> {
  matchToolResults(request.messages);
  const body: Record<string, unknown> = { model: upstreamModel };

  const forcedTool = request.toolChoice?.type === 'required' || request.toolChoice?.type === 'tool';
  // With a caller limit the budget leaves room for the answer (reasoning-budget.ts);
  // without one, the default limit grows by the budget.
  let budget = forcedTool ? undefined : reasoningBudget(request.reasoning, request.maxTokens);
  if (budget !== undefined && request.maxTokens === undefined) budget = Math.max(budget, MIN_THINKING_BUDGET);
  if (budget !== undefined && budget < MIN_THINKING_BUDGET) budget = undefined;
  let maxTokens = request.maxTokens ?? DEFAULT_MAX_TOKENS + (budget ?? 0);
  // Anthropic requires an assistant tool-use turn to open with its signed
  // thinking block while thinking is on. Callers that cannot carry the
  // signature (Chat Completions, Ollama, other upstreams' reasoning) would be
  // refused with a 400, so such a turn turns thinking off for this request.
  if (budget !== undefined && replaysUnsignedToolTurn(request)) budget = undefined;
  if (maxTokens < 1) maxTokens = 1;
  body.max_tokens = maxTokens;

  const system = [...request.system];
  const instruction = jsonModeInstruction(request.responseFormat);
  if (instruction) system.push(instruction);
  const systemText = system.filter((text) => text !== '').join('\n\n');
  if (systemText !== '') body.system = systemText;

  body.messages = convertToAnthropicMessages(request.messages);

  if (request.tools && request.tools.length > 0) {
    body.tools = request.tools.map((tool) => ({
      name: tool.name,
      ...(tool.description !== undefined ? { description: tool.description } : {}),
      input_schema: tool.parameters.type === undefined ? { type: 'object', ...tool.parameters } : tool.parameters,
    }));
    const noParallel = request.parallelToolCalls === false ? { disable_parallel_tool_use: true } : {};
    const choice = request.toolChoice;
    if (!choice || choice.type === 'auto') {
      if (request.parallelToolCalls === false) body.tool_choice = { type: 'auto', ...noParallel };
    } else if (choice.type === 'required') {
      body.tool_choice = { type: 'any', ...noParallel };
    } else if (choice.type === 'tool') {
      body.tool_choice = { type: 'tool', name: choice.name, ...noParallel };
    } else {
      body.tool_choice = { type: 'none' };
    }
  }

  if (request.stop && request.stop.length > 0) body.stop_sequences = request.stop;
  if (budget !== undefined) {
    body.thinking = { type: 'enabled', budget_tokens: budget };
  } else {
    if (request.temperature !== undefined) body.temperature = Math.min(1, Math.max(0, request.temperature));
    if (request.topP !== undefined) body.top_p = request.topP;
  }
  if (request.user !== undefined) body.metadata = { user_id: request.user };
  if (request.stream) body.stream = true;
  return body;
}

/** Does the latest assistant turn call tools without a signed reasoning part? */
function replaysUnsignedToolTurn(request: ChatRequest): boolean {
  for (let i = request.messages.length - 1; i >= 0; i--) {
    const message = request.messages[i]!;
    if (message.role !== 'assistant') continue;
    const callsTools = message.content.some((part) => part.type === 'tool_call');
    const signed = message.content.some((part) => part.type === 'reasoning' && !!part.signature);
    return callsTools && !signed;
  }
  return false;
}
