// Issue 19: strictly typed clients (openai-java, openai-go, openai-dotnet, the
// Anthropic SDKs) refuse a reply that lacks a required field or has one of the
// wrong type. Every reply object, stream event and error body the gateway
// sends on the OpenAI and Anthropic routes is checked against the providers'
// published schemas (test/fixtures/schemas/): Chat, Responses and Messages
// callers x openai, anthropic, gemini and mock upstreams, plain and streamed,
// with tool calls, cut short, failing upstream and mid-stream; plus what the
// gateway makes itself: 400/401/403/404 errors on every route, the model list,
// mock embeddings and estimated token counts. Extra fields are allowed; a
// missing required field, a wrong type or an unknown event type fails.

import { expect } from 'chai';
import { OTHER_TOKEN, TEST_TOKEN } from '../support/test-gateway.ts';
import { makeCallers, RequestIds, type Caller, type CallerName } from './callers.ts';
import { MODELS, startMatrix, type Matrix, type UpstreamName } from './matrix-gateway.ts';
import { checksFor, ReplySchemas, type Check, type Exchange } from './reply-schemas.ts';
import { BREAK_PROMPT, FAIL_PROMPT, LONG_PROMPT, PARALLEL_PROMPT, PLAIN_PROMPT } from './weather-models.ts';

/** Keeps a copy of every reply the clients receive, read alongside the client. */
class RecordingIds extends RequestIds {
  label = '';
  private exchanges: Array<Promise<Exchange>> = [];

  override readonly fetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = new URL(input instanceof Request ? input.url : input);
    const method = init?.method ?? (input instanceof Request ? input.method : 'GET');
    const response = await fetch(input, init);
    this.seen.push(response.headers.get('x-request-id') ?? '');
    const label = this.label;
    // The clone is read while the client reads the original; a stream the client
    // abandons still yields what arrived.
    this.exchanges.push(readAll(response.clone()).then((body) => ({
      method, path: url.pathname, status: response.status, contentType: response.headers.get('content-type') ?? '', body, label,
    })));
    return response;
  };

  /** Everything recorded since the last take. */
  async take(): Promise<Exchange[]> {
    const pending = this.exchanges;
    this.exchanges = [];
    return Promise.all(pending);
  }
}

async function readAll(response: Response): Promise<string> {
  if (!response.body) return '';
  const decoder = new TextDecoder();
  let text = '';
  try {
    for await (const chunk of response.body) text += decoder.decode(chunk, { stream: true });
  } catch {
    // Cut off: check what came.
  }
  return text + decoder.decode();
}

const CALLERS: CallerName[] = ['chat', 'responses', 'messages'];
const UPSTREAMS: UpstreamName[] = ['openai', 'anthropic', 'gemini', 'mock'];

describe('reply schemas: what the gateway sends matches the providers\' published schemas', () => {
  let matrix: Matrix;
  let recorder: RecordingIds;
  let callers: Record<CallerName, Caller>;
  const schemas = new ReplySchemas();
  /** Every component checked, with how often: the coverage check reads it. */
  const checked = new Map<string, number>();

  before(async () => {
    matrix = await startMatrix();
    recorder = new RecordingIds();
    callers = makeCallers(matrix.gw.url, TEST_TOKEN, recorder);
  });
  after(async () => {
    await matrix?.close();
  });

  /** Runs a scenario that may fail on purpose (the upstream refuses or breaks). */
  async function run(label: string, scenario: () => Promise<unknown>, fails = false): Promise<void> {
    recorder.label = label;
    const outcome = await scenario().then(() => undefined, (e: unknown) => e);
    if (!fails && outcome !== undefined) throw outcome;
  }

  async function expectConforming(exchanges: Exchange[]): Promise<void> {
    const failures: string[] = [];
    const checks: Check[] = [];
    for (const exchange of exchanges) {
      const found = checksFor(exchange);
      failures.push(...found.problems);
      if (found.checks.length === 0 && found.problems.length === 0) failures.push(`${exchange.label}: nothing to check in ${JSON.stringify(exchange.body.slice(0, 120))}`);
      checks.push(...found.checks);
    }
    for (const check of checks) {
      const key = `${check.vendor}/${check.component}`;
      checked.set(key, (checked.get(key) ?? 0) + 1);
      for (const violation of schemas.violations(check.vendor, check.component, check.value)) {
        failures.push(`${check.where}: ${check.component} ${violation}`);
      }
    }
    expect(checks.length, 'objects checked').to.be.greaterThan(0);
    expect(failures, `${failures.length} violations:\n  ${failures.join('\n  ')}\n`).to.deep.equal([]);
  }

  for (const callerName of CALLERS) {
    for (const upstream of UPSTREAMS) {
      it(`${callerName} -> ${upstream}: replies and stream events, with and without tool calls`, async () => {
        const caller = callers[callerName];
        const model = MODELS[upstream].id;
        const fake = upstream !== 'mock';
        for (const stream of [false, true]) {
          const how = stream ? 'streamed' : 'plain';
          await run(`${callerName} -> ${upstream}, ${how} reply`, () => caller.ask(model, PLAIN_PROMPT, stream));
          await run(`${callerName} -> ${upstream}, ${how} tool round trip`, () => caller.toolRoundTrip(model, stream));
          if (fake) {
            await run(`${callerName} -> ${upstream}, ${how} reply cut short`, () => caller.ask(model, LONG_PROMPT, stream));
            await run(`${callerName} -> ${upstream}, ${how} parallel tool calls`, () => caller.toolRoundTrip(model, stream, { prompt: PARALLEL_PROMPT }));
            await run(`${callerName} -> ${upstream}, ${how} upstream 400`, () => caller.ask(model, FAIL_PROMPT, stream), true);
          }
          if (upstream === 'anthropic' || upstream === 'gemini') {
            await run(`${callerName} -> ${upstream}, ${how} tool round trip with reasoning`, () => caller.toolRoundTrip(model, stream, { reasoning: true }));
          }
        }
        if (fake) await run(`${callerName} -> ${upstream}, stream broken by the upstream`, () => caller.ask(model, BREAK_PROMPT, true), true);
        await expectConforming(await recorder.take());
      });
    }
  }

  /** A raw request, recorded like the clients' ones. */
  function send(label: string, method: 'GET' | 'POST', path: string, token: string | undefined, body?: string): Promise<void> {
    recorder.label = label;
    const headers: Record<string, string> = { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' };
    if (token !== undefined) {
      if (path.startsWith('/v1/messages')) headers['x-api-key'] = token;
      else headers.authorization = `Bearer ${token}`;
    }
    return recorder.fetch(`${matrix.gw.url}${path}`, { method, headers, ...(body === undefined ? {} : { body }) }).then(() => undefined);
  }

  it('gateway-made errors (400, 401, 403, 404) on every OpenAI and Anthropic route', async () => {
    const bodies: Record<string, (model: string) => unknown> = {
      '/v1/chat/completions': (model) => ({ model, messages: [{ role: 'user', content: PLAIN_PROMPT }] }),
      '/v1/responses': (model) => ({ model, input: PLAIN_PROMPT }),
      '/v1/messages': (model) => ({ model, max_tokens: 64, messages: [{ role: 'user', content: PLAIN_PROMPT }] }),
      '/v1/messages/count_tokens': (model) => ({ model, messages: [{ role: 'user', content: PLAIN_PROMPT }] }),
      '/v1/embeddings': (model) => ({ model, input: PLAIN_PROMPT }),
    };
    for (const [path, body] of Object.entries(bodies)) {
      await send(`POST ${path} without a key (401)`, 'POST', path, undefined, JSON.stringify(body(MODELS.mock.id)));
      await send(`POST ${path} with an unknown key (401)`, 'POST', path, 'sk-sy-unknown-000000000000000000000000', JSON.stringify(body(MODELS.mock.id)));
      await send(`POST ${path} for an unknown model (404)`, 'POST', path, TEST_TOKEN, JSON.stringify(body('nowhere/none')));
      await send(`POST ${path} for a model outside the key's list (403)`, 'POST', path, OTHER_TOKEN, JSON.stringify(body(MODELS.anthropic.id)));
      await send(`POST ${path} with a body that is not JSON (400)`, 'POST', path, TEST_TOKEN, '{"model": ');
      await send(`POST ${path} without a model (400)`, 'POST', path, TEST_TOKEN, '{}');
    }
    await send('POST /v1/chat/completions with messages that are not a list (400)', 'POST', '/v1/chat/completions', TEST_TOKEN, JSON.stringify({ model: MODELS.anthropic.id, messages: 'hi' }));
    await send('POST /v1/responses with stored state (400)', 'POST', '/v1/responses', TEST_TOKEN, JSON.stringify({ model: MODELS.anthropic.id, input: 'hi', previous_response_id: 'resp_1' }));
    await send('POST /v1/messages with an unknown block type (400)', 'POST', '/v1/messages', TEST_TOKEN, JSON.stringify({ model: MODELS.gemini.id, max_tokens: 64, messages: [{ role: 'user', content: [{ type: 'hologram' }] }] }));
    await send('GET /v1/models without a key (401)', 'GET', '/v1/models', undefined);
    await send('GET /v1/models/{id} for an unknown model (404)', 'GET', '/v1/models/nowhere/none', TEST_TOKEN);
    await send('GET /v1/models/{id} outside the key\'s list (403)', 'GET', `/v1/models/${MODELS.anthropic.id}`, OTHER_TOKEN);
    await send('POST to a path that does not exist (404)', 'POST', '/v1/nothing-here', TEST_TOKEN, '{}');
    await send('POST to a Messages path that does not exist (404)', 'POST', '/v1/messages/nothing-here', TEST_TOKEN, '{}');
    const exchanges = await recorder.take();
    expect(exchanges.filter((e) => e.status < 400).map((e) => `${e.label}: HTTP ${e.status}`), 'requests that were not refused').to.deep.equal([]);
    await expectConforming(exchanges);
  });

  it('gateway-made replies: the model list, mock embeddings, estimated token counts', async () => {
    await send('GET /v1/models', 'GET', '/v1/models', TEST_TOKEN);
    await send('GET /v1/models/{id}', 'GET', `/v1/models/${MODELS.mock.id}`, TEST_TOKEN);
    await send('POST /v1/embeddings (mock, floats)', 'POST', '/v1/embeddings', TEST_TOKEN, JSON.stringify({ model: MODELS.mock.id, input: ['one', 'two'] }));
    await send('POST /v1/embeddings (mock, base64)', 'POST', '/v1/embeddings', TEST_TOKEN, JSON.stringify({ model: MODELS.mock.id, input: 'one', encoding_format: 'base64' }));
    for (const upstream of UPSTREAMS) {
      const body = { model: MODELS[upstream].id, messages: [{ role: 'user', content: PLAIN_PROMPT }] };
      await send(`POST /v1/messages/count_tokens -> ${upstream}`, 'POST', '/v1/messages/count_tokens', TEST_TOKEN, JSON.stringify(body));
    }
    const exchanges = await recorder.take();
    expect(exchanges.filter((e) => e.status !== 200).map((e) => `${e.label}: HTTP ${e.status}`), 'requests that failed').to.deep.equal([]);
    await expectConforming(exchanges);
  });

  // Guards the test itself: a scenario that stopped producing an event kind would pass silently.
  it('checked every kind of reply, event and error the gateway sends', () => {
    const expected = [
      'openai/CreateChatCompletionResponse', 'openai/CreateChatCompletionStreamResponse', 'openai/ErrorResponse',
      'openai/Response', 'openai/ResponseCreatedEvent', 'openai/ResponseInProgressEvent', 'openai/ResponseCompletedEvent',
      'openai/ResponseIncompleteEvent', 'openai/ResponseFailedEvent', 'openai/ResponseOutputItemAddedEvent',
      'openai/ResponseOutputItemDoneEvent', 'openai/ResponseContentPartAddedEvent', 'openai/ResponseContentPartDoneEvent',
      'openai/ResponseTextDeltaEvent', 'openai/ResponseTextDoneEvent', 'openai/ResponseFunctionCallArgumentsDeltaEvent',
      'openai/ResponseFunctionCallArgumentsDoneEvent', 'openai/ResponseReasoningSummaryPartAddedEvent',
      'openai/ResponseReasoningSummaryPartDoneEvent', 'openai/ResponseReasoningSummaryTextDeltaEvent',
      'openai/ResponseReasoningSummaryTextDoneEvent', 'openai/CreateEmbeddingResponse', 'openai/ListModelsResponse', 'openai/Model',
      'anthropic/Message', 'anthropic/RawMessageStartEvent', 'anthropic/RawMessageDeltaEvent', 'anthropic/RawMessageStopEvent',
      'anthropic/RawContentBlockStartEvent', 'anthropic/RawContentBlockDeltaEvent', 'anthropic/RawContentBlockStopEvent',
      'anthropic/ErrorResponse', 'anthropic/MessageTokensCount',
    ];
    expect([...checked.keys()]).to.include.members(expected);
    const total = [...checked.values()].reduce((a, b) => a + b, 0);
    // One line for whoever wonders how much this covers.
    console.log(`      (${total} objects checked against ${checked.size} schema components)`);
  });
});
