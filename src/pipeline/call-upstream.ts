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
  forwarded?: Readonly<Record<string, string>>,
): Promise<UpstreamReply> {
  const { provider, model } = member;
  if (provider.type === 'mock') return mockCall(model, operation === 'embeddings' ? 'embeddings' : 'chat', body, signal);
  const credential = credentialIndex >= 0 ? provider.credentials[credentialIndex] : undefined;
  const target = buildTarget(provider, model.upstreamName, operation, stream, credential, forwarded);
  return sendUpstream(target, 'POST', body, timeout, signal);
}

/**
 * Reads at most `limit` bytes of a body as text (error bodies): past the
 * limit the upstream call is aborted, so an endless error body costs neither
 * memory nor time.
 */
export async function readText(reply: UpstreamReply, limit: number): Promise<string> {
  const decoder = new TextDecoder();
  let out = '';
  let size = 0;
  for await (const chunk of reply.body) {
    const room = limit - size;
    size += chunk.length;
    out += decoder.decode(room < chunk.length ? chunk.subarray(0, room) : chunk, { stream: true });
    if (size >= limit) {
      reply.abort();
      break;
    }
  }
  return out + decoder.decode();
}
