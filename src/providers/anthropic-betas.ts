// The caller's `anthropic-beta` and `anthropic-version` on an Anthropic
// pass-through. Claude Code (and any Anthropic SDK caller) sends betas that
// unlock body fields (`context-management-2025-06-27` → `context_management`);
// without the header the real API answers "Extra inputs are not permitted".
// The caller's list is open (it changes with every client release): it is
// merged with the provider's own `anthropic-beta`, duplicates removed, and
// only the provider's `drop_betas` are taken out — for Anthropic-compatible
// upstreams (Vertex AI, Bedrock, OpenRouter) that refuse some betas. A body
// field that only a dropped beta allows is dropped with it. No other client
// header is ever forwarded.

import type { IncomingHttpHeaders } from 'node:http';
import type { ProviderSpec } from '../config/snapshot.ts';

/** The client headers that carry meaning to an Anthropic upstream, as sent. */
export interface AnthropicClientHeaders {
  betas: readonly string[];
  version?: string;
}

/** Body fields a beta unlocks: dropping the beta must drop them too, or the upstream refuses the body. */
const fieldsOfBeta: readonly [RegExp, string][] = [
  [/^context-management-/, 'context_management'],
  [/^mcp-client-/, 'mcp_servers'],
];

function splitList(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  const joined = Array.isArray(value) ? value.join(',') : value;
  return joined.split(',').map((b) => b.trim()).filter((b) => b !== '');
}

export function readAnthropicClientHeaders(headers: IncomingHttpHeaders): AnthropicClientHeaders | undefined {
  const betas = splitList(headers['anthropic-beta']);
  const version = headers['anthropic-version'];
  if (betas.length === 0 && typeof version !== 'string') return undefined;
  return typeof version === 'string' && version !== '' ? { betas, version } : { betas };
}

export interface BetaPlan {
  /** Headers to set on the upstream call (merged anthropic-beta, the caller's anthropic-version). */
  headers: Record<string, string>;
  /** `anthropic-beta:NAME` for each beta dropped, then each body field dropped with it. */
  dropped: string[];
  /** Top-level body fields to remove. */
  droppedFields: string[];
}

export function planAnthropicBetas(provider: ProviderSpec, client: AnthropicClientHeaders | undefined, body: Record<string, unknown>): BetaPlan {
  const plan: BetaPlan = { headers: {}, dropped: [], droppedFields: [] };
  if (client?.version) plan.headers['anthropic-version'] = client.version;
  const merged = new Set([...splitList(provider.headers['anthropic-beta']), ...(client?.betas ?? [])]);
  for (const beta of provider.dropBetas) {
    if (!merged.delete(beta)) continue;
    plan.dropped.push(`anthropic-beta:${beta}`);
    for (const [pattern, field] of fieldsOfBeta) {
      if (pattern.test(beta) && body[field] !== undefined && !plan.droppedFields.includes(field)) plan.droppedFields.push(field);
    }
  }
  plan.dropped.push(...plan.droppedFields);
  if (merged.size > 0) plan.headers['anthropic-beta'] = [...merged].join(',');
  return plan;
}
