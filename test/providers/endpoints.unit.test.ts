// How each vendor is reached: URL, auth header, fixed headers, per provider
// type and operation (spec: providers). No request is sent.

import { expect } from 'chai';
import { ANTHROPIC_VERSION, buildTarget, supports, upstreamProtocol, type Operation } from '../../src/providers/endpoints.ts';
import type { ProviderType } from '../../src/config/snapshot.ts';
import { provider } from '../pipeline/decision-fixtures.ts';

const types: ProviderType[] = ['openai', 'azure', 'anthropic', 'gemini', 'mock'];
const operations: Operation[] = ['chat', 'embeddings', 'count_tokens', 'models'];

describe('endpoints: protocols and operations', () => {
  it('maps each provider type to the wire protocol it speaks', () => {
    expect(types.map(upstreamProtocol)).to.deep.equal(['openai-chat', 'openai-chat', 'anthropic', 'gemini', 'openai-chat']);
  });

  it('says which operations each type serves upstream', () => {
    const table = Object.fromEntries(types.map((t) => [t, operations.filter((o) => supports(t, o))]));
    expect(table).to.deep.equal({
      openai: ['chat', 'embeddings', 'models'],
      azure: ['chat', 'embeddings', 'models'],
      anthropic: ['chat', 'count_tokens', 'models'],
      gemini: ['chat', 'models'],
      mock: ['chat', 'embeddings', 'models'],
    });
  });
});

describe('endpoints: buildTarget', () => {
  it('openai: bearer auth, path per operation, identity encoding', () => {
    const p = provider('o', 'openai', { baseUrl: 'https://api.openai.com/v1' });
    expect(buildTarget(p, 'gpt-4o', 'chat', false, 'sk-1')).to.deep.equal({
      url: 'https://api.openai.com/v1/chat/completions',
      headers: { 'content-type': 'application/json', 'accept-encoding': 'identity', authorization: 'Bearer sk-1' },
    });
    expect(buildTarget(p, 'e', 'embeddings', false, 'sk-1').url).to.equal('https://api.openai.com/v1/embeddings');
    expect(buildTarget(p, 'm', 'models', false, 'sk-1').url).to.equal('https://api.openai.com/v1/models');
  });

  it('openai-compatible without a credential sends no authorization', () => {
    const target = buildTarget(provider('local', 'openai', { baseUrl: 'http://127.0.0.1:11434/v1' }), 'llama', 'chat', true, undefined);
    expect(target.headers).to.not.have.property('authorization');
  });

  it('azure: api-key header, deployment in the path (encoded), api-version defaulted', () => {
    const p = provider('az', 'azure', { baseUrl: 'https://east.openai.azure.com' });
    expect(buildTarget(p, 'gpt 4o/prod', 'chat', false, 'az-key')).to.deep.equal({
      url: 'https://east.openai.azure.com/openai/deployments/gpt%204o%2Fprod/chat/completions?api-version=2024-10-21',
      headers: { 'content-type': 'application/json', 'accept-encoding': 'identity', 'api-key': 'az-key' },
    });
    const pinned = provider('az', 'azure', { baseUrl: 'https://east.openai.azure.com', apiVersion: '2025-01-01-preview' });
    expect(buildTarget(pinned, 'emb', 'embeddings', false, 'k').url)
      .to.equal('https://east.openai.azure.com/openai/deployments/emb/embeddings?api-version=2025-01-01-preview');
    expect(buildTarget(pinned, 'x', 'models', false, 'k').url).to.equal('https://east.openai.azure.com/openai/models?api-version=2025-01-01-preview');
  });

  it('anthropic: x-api-key, a default anthropic-version, the caller\'s forwarded version wins', () => {
    const p = provider('an', 'anthropic', { baseUrl: 'https://api.anthropic.com' });
    expect(buildTarget(p, 'claude', 'chat', true, 'ak')).to.deep.equal({
      url: 'https://api.anthropic.com/v1/messages',
      headers: { 'content-type': 'application/json', 'accept-encoding': 'identity', 'x-api-key': 'ak', 'anthropic-version': ANTHROPIC_VERSION },
    });
    expect(buildTarget(p, 'claude', 'count_tokens', false, 'ak').url).to.equal('https://api.anthropic.com/v1/messages/count_tokens');
    expect(buildTarget(p, 'claude', 'models', false, 'ak').url).to.equal('https://api.anthropic.com/v1/models');
    const forwarded = buildTarget(p, 'claude', 'chat', false, 'ak', { 'anthropic-version': '2099-01-01', 'anthropic-beta': 'b1' });
    expect(forwarded.headers['anthropic-version']).to.equal('2099-01-01');
    expect(forwarded.headers['anthropic-beta']).to.equal('b1');
  });

  it('gemini: x-goog-api-key, the verb by stream, the model encoded', () => {
    const p = provider('g', 'gemini', { baseUrl: 'https://generativelanguage.googleapis.com' });
    expect(buildTarget(p, 'gemini-2.5-pro', 'chat', false, 'gk')).to.deep.equal({
      url: 'https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-pro:generateContent',
      headers: { 'content-type': 'application/json', 'accept-encoding': 'identity', 'x-goog-api-key': 'gk' },
    });
    expect(buildTarget(p, 'tuned/x', 'chat', true, 'gk').url)
      .to.equal('https://generativelanguage.googleapis.com/v1beta/models/tuned%2Fx:streamGenerateContent?alt=sse');
    expect(buildTarget(p, 'x', 'models', false, 'gk').url).to.equal('https://generativelanguage.googleapis.com/v1beta/models');
  });

  it('configured headers override the defaults, the credential header overrides configured ones', () => {
    const p = provider('o', 'openai', { baseUrl: 'https://x/v1', headers: { 'openai-organization': 'acme', 'accept-encoding': 'gzip', authorization: 'Bearer configured' } });
    const { headers } = buildTarget(p, 'm', 'chat', false, 'sk-pool');
    expect(headers['openai-organization']).to.equal('acme');
    expect(headers['accept-encoding']).to.equal('gzip');
    expect(headers.authorization).to.equal('Bearer sk-pool');
  });

  it('returns fresh headers each call (callers may add to them)', () => {
    const p = provider('o', 'openai');
    const first = buildTarget(p, 'm', 'chat', false, 'k');
    first.headers['x-extra'] = '1';
    expect(buildTarget(p, 'm', 'chat', false, 'k').headers).to.not.have.property('x-extra');
    expect(p.headers).to.deep.equal({});
  });
});
