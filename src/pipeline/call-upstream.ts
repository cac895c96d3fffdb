// Sends one attempt to one member: through the in-process mock, or over the
// network with the provider's URL, auth and timeouts.

import type { Member, TimeoutPolicy } from '../config/snapshot.ts';
import { buildTarget, type Operation } from '../providers/endpoints.ts';
import { sendUpstream } from '../providers/http-client.ts';
import { mockCall } from '../providers/mock.ts';
import type { UpstreamReply } from '../providers/upstream-reply.ts';

export function callUpstream(
  member: Member,
  operation: Operation,
  body: string | Buffer,
  stream: boolean,
  credentialIndex: number,
  timeout: TimeoutPolicy,
  signal: AbortSignal,
): Promise<UpstreamReply> {
  const { provider, model } = member;
  if (provider.type === 'mock') return mockCall(model, operation === 'embeddings' ? 'embeddings' : 'chat', body, signal);
  const credential = credentialIndex >= 0 ? provider.credentials[credentialIndex] : undefined;
  const target = buildTarget(provider, model.upstreamName, operation, stream, credential);
  return sendUpstream(target, 'POST', body, timeout, signal);
}

/** Reads a whole (small) body as text, at most `limit` bytes; the rest is dropped. */
export async function readText(body: AsyncIterable<Uint8Array>, limit = Infinity): Promise<string> {
  const decoder = new TextDecoder();
  let out = '';
  for await (const chunk of body) {
    if (out.length < limit) out += decoder.decode(chunk, { stream: true });
  }
  out += decoder.decode();
  return out.length > limit ? out.slice(0, limit) : out;
}
