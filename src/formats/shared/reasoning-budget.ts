// Reasoning requests come as an effort (OpenAI, Responses) or a token budget
// (Anthropic thinking, Gemini thinkingBudget). One table converts efforts to
// budgets so every upstream reads the same intent the same way.

import type { ChatRequest } from '../ir.ts';

const effortBudgets = { minimal: 1024, low: 2048, medium: 8192, high: 16384 } as const;

/**
 * The token budget a request asks for, or undefined when it asks for no
 * reasoning. Thinking counts against the output limit, so when `maxTokens`
 * is known the budget leaves room for the answer: a quarter of the limit,
 * and never less than 1,024 tokens (`max_output_tokens: 3000` with effort
 * high thinks for at most 1,976 tokens and keeps 1,024 for the reply). The
 * result may then be below what an upstream accepts; callers turn thinking
 * off in that case.
 */
export function reasoningBudget(reasoning: ChatRequest['reasoning'], maxTokens?: number): number | undefined {
  if (!reasoning) return undefined;
  const asked = reasoning.budgetTokens ?? (reasoning.effort ? effortBudgets[reasoning.effort] : undefined);
  if (asked === undefined || maxTokens === undefined) return asked;
  return Math.min(asked, maxTokens - answerRoom(maxTokens));
}

/** Output tokens kept for the answer when thinking shares the limit. */
function answerRoom(maxTokens: number): number {
  return Math.max(1024, Math.ceil(maxTokens / 4));
}
