// The request facts each caller codec gives routing (issue #17): model, stream,
// user, include-usage and the conversation opening, read without decoding the
// request. The user the facts name is the user the IR decodes, so sticky
// routing follows Anthropic's metadata.user_id as ir.ts says it does (it used
// to read only an OpenAI-style top-level `user`).

import { expect } from 'chai';
import { anthropicInbound } from '../../../src/formats/anthropic/index.ts';
import { ollamaChatInbound, ollamaGenerateInbound } from '../../../src/formats/ollama/index.ts';
import { openAIChatInbound } from '../../../src/formats/openai-chat/index.ts';
import { embeddingsRequestFacts } from '../../../src/formats/openai-chat/embeddings.ts';
import { responsesInbound } from '../../../src/formats/openai-responses/index.ts';
import { orderCandidates, stickyKeyOf } from '../../../src/pipeline/plan.ts';
import { member, route } from '../../pipeline/decision-fixtures.ts';

const turn = (text: string) => ({ role: 'user', content: text });

describe('request facts from each caller codec', () => {
  it('OpenAI Chat: stream only when asked, usage only with stream_options.include_usage, the top-level user', () => {
    const body = { model: 'g', stream: true, stream_options: { include_usage: true }, user: 'u-1', messages: [turn('hi')] };
    const facts = openAIChatInbound.requestFacts(body);
    expect(facts).to.deep.include({ model: 'g', stream: true, user: 'u-1', includeUsage: true });
    expect(facts.user).to.equal(openAIChatInbound.decodeRequest(body).user);
    expect(openAIChatInbound.requestFacts({ model: 'g', messages: [] })).to.deep.include({ stream: false, includeUsage: false, user: undefined });
    expect(openAIChatInbound.requestFacts({ model: 7 }).model).to.equal(undefined);
  });

  it('Anthropic: the user is metadata.user_id, the same the IR decodes; usage is always reported', () => {
    const body = { model: 'g', max_tokens: 10, stream: true, metadata: { user_id: 'alice' }, system: 'be brief', messages: [turn('hi')] };
    const facts = anthropicInbound.requestFacts(body);
    expect(facts).to.deep.include({ model: 'g', stream: true, user: 'alice', includeUsage: true });
    expect(facts.user).to.equal(anthropicInbound.decodeRequest(body).user);
    expect(facts.opening).to.deep.equal(['be brief', [turn('hi')]]);
  });

  it('Responses, Ollama and embeddings', () => {
    expect(responsesInbound.requestFacts({ model: 'g', stream: true, user: 'u', instructions: 'sys', input: 'hi' }))
      .to.deep.equal({ model: 'g', stream: true, user: 'u', includeUsage: true, opening: ['sys', 'hi'] });
    // Ollama streams unless told not to.
    expect(ollamaChatInbound.requestFacts({ model: 'g', messages: [turn('a'), turn('b'), turn('c')] }))
      .to.deep.equal({ model: 'g', stream: true, user: undefined, includeUsage: true, opening: [null, [turn('a'), turn('b')]] });
    expect(ollamaGenerateInbound.requestFacts({ model: 'g', stream: false, system: 's', prompt: 'p' })).to.deep.include({ stream: false, opening: ['s', 'p'] });
    expect(embeddingsRequestFacts({ model: 'e', input: ['a'], user: 'u' })).to.deep.include({ model: 'e', stream: false, user: 'u' });
  });

  it('sticky routing by Anthropic metadata.user_id: one user stays on one member whatever the conversation', () => {
    const sticky = route('sticky', [member('p1/m'), member('p2/m'), member('p3/m'), member('p4/m')]);
    const firstFor = (body: Record<string, unknown>) => {
      const facts = anthropicInbound.requestFacts(body);
      return orderCandidates(sticky, { random: Math.random, turn: 0, score: () => 0, stickyKey: stickyKeyOf('key', facts.user, facts.opening) })[0]!.target;
    };
    const ask = (user: string, text: string) => ({ model: 'g', max_tokens: 10, metadata: { user_id: user }, messages: [turn(text)] });
    const alice = firstFor(ask('alice', 'first conversation'));
    for (let i = 0; i < 20; i++) expect(firstFor(ask('alice', `conversation ${i}`))).to.equal(alice);
    // Different users spread over the members (without the user, only the opening would count).
    const firsts = new Set(Array.from({ length: 40 }, (_, i) => firstFor(ask(`user-${i}`, 'same opening'))));
    expect(firsts.size).to.be.greaterThan(1);
  });
});
