// How to reach each vendor: URL, auth header and fixed headers per provider
// type and operation. How the bodies look is the codecs' business (formats/).

import type { ProviderSpec, ProviderType } from '../config/snapshot.ts';
import type { Protocol } from '../formats/codec.ts';

export type Operation = 'chat' | 'embeddings' | 'count_tokens' | 'models';

export interface UpstreamTarget {
  url: string;
  headers: Record<string, string>;
}

const protocolByType: Record<ProviderType, Protocol> = {
  openai: 'openai-chat',
  azure: 'openai-chat',
  mock: 'openai-chat',
  anthropic: 'anthropic',
  gemini: 'gemini',
};

/** The wire protocol a provider type speaks for chat. */
export function upstreamProtocol(type: ProviderType): Protocol {
  return protocolByType[type];
}

/** The operations a provider type can serve besides chat. */
export function supports(type: ProviderType, operation: Operation): boolean {
  if (operation === 'chat' || operation === 'models') return true;
  if (operation === 'embeddings') return type === 'openai' || type === 'azure' || type === 'mock';
  return type === 'anthropic'; // count_tokens: estimated locally for the others
}

export const ANTHROPIC_VERSION = '2023-06-01';

/**
 * The URL and headers of one upstream call. `upstreamModel` is the model (or
 * Azure deployment) name; `credential` one secret from the provider's pool;
 * `forwarded` the caller's headers that carry meaning upstream (anthropic-beta
 * and anthropic-version on an Anthropic pass-through; see anthropic-betas.ts).
 */
export function buildTarget(
  provider: ProviderSpec,
  upstreamModel: string,
  operation: Operation,
  stream: boolean,
  credential: string | undefined,
  forwarded: Readonly<Record<string, string>> = {},
): UpstreamTarget {
  const base = provider.baseUrl;
  // identity: every reader (usage scan, size bound, translation) wants plain bytes;
  // a server that compresses anyway is decoded by the http client.
  const headers: Record<string, string> = { 'content-type': 'application/json', 'accept-encoding': 'identity', ...provider.headers, ...forwarded };
  switch (provider.type) {
    case 'openai':
    case 'mock': {
      if (credential) headers.authorization = `Bearer ${credential}`;
      const path = operation === 'embeddings' ? '/embeddings' : operation === 'models' ? '/models' : '/chat/completions';
      return { url: base + path, headers };
    }
    case 'azure': {
      if (credential) headers['api-key'] = credential;
      const version = encodeURIComponent(provider.apiVersion ?? '2024-10-21');
      if (operation === 'models') return { url: `${base}/openai/models?api-version=${version}`, headers };
      const path = operation === 'embeddings' ? 'embeddings' : 'chat/completions';
      return { url: `${base}/openai/deployments/${encodeURIComponent(upstreamModel)}/${path}?api-version=${version}`, headers };
    }
    case 'anthropic': {
      if (credential) headers['x-api-key'] = credential;
      if (!headers['anthropic-version']) headers['anthropic-version'] = ANTHROPIC_VERSION;
      const path = operation === 'count_tokens' ? '/v1/messages/count_tokens' : operation === 'models' ? '/v1/models' : '/v1/messages';
      return { url: base + path, headers };
    }
    case 'gemini': {
      if (credential) headers['x-goog-api-key'] = credential;
      if (operation === 'models') return { url: `${base}/v1beta/models`, headers };
      const verb = stream ? 'streamGenerateContent?alt=sse' : 'generateContent';
      return { url: `${base}/v1beta/models/${encodeURIComponent(upstreamModel)}:${verb}`, headers };
    }
  }
}
