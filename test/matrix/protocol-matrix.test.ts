// The protocol matrix (issue 5): every inbound protocol, spoken by its
// official client, against every upstream provider type, for a plain reply,
// a streamed reply, and a tool call round trip (plain and streamed); against
// the fakes also a reply cut short by the token limit, parallel tool calls,
// and (Anthropic, Gemini) a round trip with reasoning on. Each cell checks
// what the user notices: the assembled text, the tool calls' names and parsed
// arguments, the finish reason in the caller's vocabulary, usage in the
// caller's convention; and that the upstream received a correctly shaped
// request in its own protocol (the fakes also refuse what the real APIs refuse).

import { expect } from 'chai';
import { OTHER_TOKEN, TEST_TOKEN } from '../support/test-gateway.ts';
import { CALLER_NAMES, makeCallers, type Caller, type CallerName, type Turn } from './callers.ts';
import { MODELS, MOCK_REPLY, startMatrix, type Matrix, type UpstreamName } from './matrix-gateway.ts';
import { checkPlainRequest, checkRequestLine, checkToolResultSent, checkToolsOffered } from './upstream-checks.ts';
import {
  ANTHROPIC_USAGE, CUT_SHORT, FAKE_ARGS, GEMINI_USAGE, greeting, LONDON_RESULT, LONG_PROMPT, OPENAI_USAGE, PARALLEL_ARGS, PARALLEL_PROMPT,
  PLAIN_PROMPT, THOUGHT, THOUGHT_SIGNATURE, TOOL_PROMPT, TOOL_RESULT, weatherAnswer, weatherReport, weatherTool, type GatewayUsage,
} from './weather-models.ts';

const UPSTREAMS: UpstreamName[] = ['openai', 'anthropic', 'gemini', 'mock'];

/** What each upstream's model says, and the usage it reports (none fixed for the mock). */
const EXPECT: Record<UpstreamName, { greeting: string; args: unknown; preamble: string; answer: string; usage?: GatewayUsage }> = {
  openai: { greeting: greeting('OpenAI'), args: FAKE_ARGS, preamble: '', answer: weatherAnswer(TOOL_RESULT), usage: OPENAI_USAGE },
  anthropic: { greeting: greeting('Anthropic'), args: FAKE_ARGS, preamble: 'Let me check.', answer: weatherAnswer(TOOL_RESULT), usage: ANTHROPIC_USAGE },
  gemini: { greeting: greeting('Gemini'), args: FAKE_ARGS, preamble: '', answer: weatherAnswer(TOOL_RESULT), usage: GEMINI_USAGE },
  // The mock fills string arguments with the user's text and echoes tool results.
  mock: { greeting: MOCK_REPLY, args: { city: TOOL_PROMPT, unit: 'celsius' }, preamble: '', answer: `Tool result: ${TOOL_RESULT}` },
};

function checkUsage(caller: Caller, upstream: UpstreamName, turn: Turn): void {
  const expected = EXPECT[upstream].usage;
  expect(turn.usage, 'usage').to.not.equal(undefined);
  if (expected) {
    expect(turn.usage).to.deep.equal(caller.expectedUsage(expected));
  } else {
    expect(turn.usage!.input, 'input tokens').to.be.greaterThan(0);
    expect(turn.usage!.output, 'output tokens').to.be.greaterThan(0);
  }
}

describe('protocol matrix: inbound protocol x upstream type x scenario', () => {
  let matrix: Matrix;
  let callers: Record<CallerName, Caller>;

  before(async () => {
    matrix = await startMatrix();
    callers = makeCallers(matrix.gw.url, TEST_TOKEN);
  });
  after(async () => {
    await matrix?.close();
  });

  /** Runs `body` and returns the requests the upstream's fake received meanwhile. */
  async function during<T>(upstream: UpstreamName, body: () => Promise<T>) {
    const fake = upstream === 'mock' ? undefined : matrix.fakes[upstream];
    const before = fake?.requests.length ?? 0;
    const result = await body();
    return { result, requests: fake ? fake.requests.slice(before) : [] };
  }

  for (const callerName of CALLER_NAMES) {
    for (const upstream of UPSTREAMS) {
      const model = MODELS[upstream].id;
      const expected = EXPECT[upstream];

      describe(`${callerName} -> ${upstream}`, () => {
        for (const stream of [false, true]) {
          it(`${stream ? 'streaming' : 'plain text'}: ${callerName} client gets the ${upstream} reply${stream ? ' assembled from its deltas' : ''}`, async () => {
            const caller = callers[callerName];
            const { result: turn, requests } = await during(upstream, () => caller.ask(model, PLAIN_PROMPT, stream));
            expect(turn.text).to.equal(expected.greeting);
            expect(turn.toolCalls).to.deep.equal([]);
            expect(turn.finish).to.equal(caller.textFinish);
            checkUsage(caller, upstream, turn);
            if (upstream !== 'mock') {
              expect(requests).to.have.length(1);
              checkRequestLine(upstream, requests[0]!, stream, matrix.keys);
              checkPlainRequest(upstream, requests[0]!, PLAIN_PROMPT);
            }
          });
        }

        for (const stream of upstream === 'mock' ? [] : [false, true]) {
          it(`${stream ? 'streamed ' : ''}reply cut short by the token limit: the ${callerName} client reads its own length finish`, async () => {
            const caller = callers[callerName];
            const turn = await caller.ask(model, LONG_PROMPT, stream);
            expect(turn.text).to.equal(CUT_SHORT);
            expect(turn.finish).to.equal(caller.lengthFinish);
          });
        }

        for (const stream of [false, true]) {
          it(`${stream ? 'streamed ' : ''}tool call round trip: ${upstream} calls get_weather, the ${callerName} client returns the result, the model answers`, async () => {
            const caller = callers[callerName];
            const { result: { first, final }, requests } = await during(upstream, () => caller.toolRoundTrip(model, stream));

            expect(first.text).to.equal(expected.preamble);
            expect(first.toolCalls).to.have.length(1);
            expect(first.toolCalls[0]!.name).to.equal(weatherTool.name);
            expect(first.toolCalls[0]!.args).to.deep.equal(expected.args);
            if (caller.keepsIds) expect(first.toolCalls[0]!.id).to.match(/^[\w-]+$/);
            expect(first.finish).to.equal(caller.toolFinish);
            checkUsage(caller, upstream, first);

            expect(final.text).to.equal(expected.answer);
            expect(final.toolCalls).to.deep.equal([]);
            expect(final.finish).to.equal(caller.textFinish);
            checkUsage(caller, upstream, final);

            if (upstream !== 'mock') {
              expect(requests).to.have.length(2);
              for (const req of requests) checkRequestLine(upstream, req, stream, matrix.keys);
              checkToolsOffered(upstream, requests[0]!);
              checkToolResultSent(upstream, requests[1]!, caller.keepsIds);
            }
          });
        }

        // The mock calls one tool per turn, so parallel calls need a fake.
        for (const stream of upstream === 'mock' ? [] : [false, true]) {
          it(`${stream ? 'streamed ' : ''}parallel tool calls: ${upstream} calls get_weather twice in one turn, each result goes back tied to its call`, async () => {
            const caller = callers[callerName];
            const { result: { first, final }, requests } = await during(upstream, () => caller.toolRoundTrip(model, stream, { prompt: PARALLEL_PROMPT }));

            expect(first.text).to.equal(expected.preamble);
            expect(first.toolCalls.map((c) => c.name)).to.deep.equal([weatherTool.name, weatherTool.name]);
            expect(first.toolCalls.map((c) => c.args)).to.deep.equal(PARALLEL_ARGS);
            if (caller.keepsIds) expect(new Set(first.toolCalls.map((c) => c.id)).size, 'distinct call ids').to.equal(2);
            expect(first.finish).to.equal(caller.toolFinish);

            expect(final.text).to.equal(weatherReport([{ city: 'Paris', result: TOOL_RESULT }, { city: 'London', result: LONDON_RESULT }]));
            expect(final.finish).to.equal(caller.textFinish);

            expect(requests).to.have.length(2);
            if (upstream !== 'mock') checkToolResultSent(upstream, requests[1]!, caller.keepsIds, PARALLEL_ARGS);
          });
        }

        // Reasoning across protocols: the caller asks its way, sees the thoughts, and the round trip still works.
        for (const stream of upstream === 'anthropic' || upstream === 'gemini' ? [false, true] : []) {
          // Callers that cannot carry Anthropic's thinking signature (Chat, Ollama) replay an unsigned tool turn:
          // the encoder must turn thinking off for it, or the real API refuses the request.
          it(`${stream ? 'streamed ' : ''}tool call round trip with reasoning on: the ${callerName} client sees ${upstream}'s thoughts and the replay is accepted`, async () => {
            const caller = callers[callerName];
            const { result: { first, final }, requests } = await during(upstream, () => caller.toolRoundTrip(model, stream, { reasoning: true }));
            expect(first.reasoning).to.equal(THOUGHT);
            expect(first.toolCalls.map((c) => c.args)).to.deep.equal([FAKE_ARGS]);
            expect(first.finish).to.equal(caller.toolFinish);
            expect(final.text).to.equal(weatherAnswer(TOOL_RESULT));

            expect(requests).to.have.length(2);
            if (upstream === 'gemini') {
              for (const req of requests) expect(req.json.generationConfig.thinkingConfig).to.include({ includeThoughts: true });
              expect(final.reasoning).to.equal(THOUGHT);
            }
            if (upstream === 'anthropic') {
              expect(requests[0]!.json.thinking).to.include({ type: 'enabled' });
              const replay = requests[1]!.json;
              // Responses (encrypted_content) and Messages carry the signature back: thinking stays on and the
              // replayed turn opens with the signed block. The others cannot; thinking may then be left off.
              const carriesSignature = callerName === 'responses' || callerName === 'messages';
              if (carriesSignature) expect(replay.thinking?.type).to.equal('enabled');
              if (replay.thinking?.type === 'enabled') {
                const assistant = replay.messages.find((m: { role: string }) => m.role === 'assistant');
                expect(assistant.content[0]).to.deep.equal({ type: 'thinking', thinking: THOUGHT, signature: THOUGHT_SIGNATURE });
              }
              expect(final.reasoning).to.equal(replay.thinking?.type === 'enabled' ? THOUGHT : '');
            }
            checkToolResultSent(upstream === 'anthropic' ? 'anthropic' : 'gemini', requests[1]!, caller.keepsIds);
          });
        }
      });
    }
  }

  it('a key answers only for the models it may use, in every protocol (403 for the rest)', async () => {
    const other = makeCallers(matrix.gw.url, OTHER_TOKEN);
    for (const name of CALLER_NAMES) {
      const turn = await other[name].ask(MODELS.mock.id, PLAIN_PROMPT, false);
      expect(turn.text, name).to.equal(MOCK_REPLY);
      const error = await other[name].ask(MODELS.anthropic.id, PLAIN_PROMPT, false).then(() => undefined, (e: unknown) => e);
      expect(error, name).to.be.instanceOf(Error);
      expect((error as { status?: number; status_code?: number }).status ?? (error as { status_code?: number }).status_code, name).to.equal(403);
    }
  });
});
