// Reasoning requests come as an effort (OpenAI, Responses) or a token budget
// (Anthropic thinking, Gemini thinkingBudget). One table converts efforts to
// budgets so every upstream reads the same intent the same way.

import type { ChatRequest } from '../ir.ts';

const effortBudgets = { minimal: 1024, low: 2048, medium: 8192, high: 16384 } as const;

/** The token budget a request asks for, or undefined when it asks for no reasoning. */
export function reasoningBudget(reasoning: ChatRequest['reasoning']): number | undefined {
  if (!reasoning) return undefined;
  if (reasoning.budgetTokens !== undefined) return reasoning.budgetTokens;
  return reasoning.effort ? effortBudgets[reasoning.effort] : undefined;
}
