// Fits a translated request to what the serving model takes, so a caller's
// options never turn into an upstream 400: a reasoning parameter only for a
// model that reasons, no more output tokens than the model allows, and a
// `user` no longer than the upstream accepts (OpenAI: 64 characters). What
// is left out is reported, for the x-switchyard-dropped header.

import { createHash } from 'node:crypto';
import type { ChatRequest } from '../ir.ts';

export interface ModelFit {
  /** The model takes a reasoning parameter (reasoning_effort, reasoning, thinking, thinkingConfig). */
  reasoning: boolean;
  /** Most output tokens the model allows; undefined when unknown. */
  maxOutputTokens?: number;
  /** Longest `user` the upstream accepts; a longer one becomes its SHA-256 hex (64 characters, stable). */
  maxUserLength?: number;
}

export function fitToModel(request: ChatRequest, fit: ModelFit): { request: ChatRequest; dropped: string[] } {
  const dropped: string[] = [];
  let out = request;
  if (out.reasoning && !fit.reasoning) {
    const { reasoning: _omitted, ...rest } = out;
    out = rest;
    dropped.push('reasoning');
  }
  if (fit.maxOutputTokens !== undefined && (out.maxTokens === undefined || out.maxTokens > fit.maxOutputTokens)) {
    out = { ...out, maxTokens: fit.maxOutputTokens };
  }
  if (fit.maxUserLength !== undefined && out.user !== undefined && out.user.length > fit.maxUserLength) {
    out = { ...out, user: createHash('sha256').update(out.user).digest('hex').slice(0, fit.maxUserLength) };
  }
  return { request: out, dropped };
}
