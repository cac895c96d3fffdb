// Codex's default Responses request through the gateway, with the official
// OpenAI SDK as the caller, to upstreams that take only function tools (a
// strict OpenAI Chat fake and the Anthropic fake): the request is served
// instead of refused, every tool reaches upstream as a function, and the
// model's calls come back as Codex offered them — a namespaced
// function_call, a custom_tool_call — and a round trip carrying their
// outputs goes upstream as tool results.

import { expect } from 'chai';
import OpenAI from 'openai';
import { startFakeAnthropic } from '../support/fake-anthropic.ts';
import { chunk, sendJson, startFakeUpstream, startStream, type FakeUpstream } from '../support/fake-upstream.ts';
import { validateOpenAIChatRequest } from '../support/fake-openai.ts';
import { keysYaml, startTestGateway, TEST_TOKEN, type TestGateway } from '../support/test-gateway.ts';

const PATCH = '*** Begin Patch\n*** Add File: hello.txt\n+hi\n*** End Patch';

const tools = [
  { type: 'function', name: 'exec_command', description: 'Run a command', parameters: { type: 'object', properties: { cmd: { type: 'string' } }, required: ['cmd'] }, strict: false },
  { type: 'namespace', name: 'multi_agent_v1', description: 'Sub-agents', tools: [{ type: 'function', name: 'spawn_agent', description: 'Start a sub-agent', parameters: { type: 'object', properties: { task: { type: 'string' } } } }] },
  { type: 'custom', name: 'apply_patch', description: 'Edit files.', format: { type: 'grammar', syntax: 'lark', definition: 'start: "*** Begin Patch" LF' } },
  { type: 'web_search', external_web_access: false },
];

describe('Codex tools through the gateway', () => {
  let openaiFake: FakeUpstream;
  let anthropicFake: FakeUpstream;
  let gw: TestGateway;
  let client: OpenAI;

  before(async () => {
    process.env.SY_CODEX_ANTHROPIC = 'an-codex-key-000001';
    // OpenAI Chat: function tools only (fake-openai.ts cites the rules); the first turn calls apply_patch, the next answers.
    openaiFake = await startFakeUpstream((req, res) => {
      const problem = validateOpenAIChatRequest(req.json, { reasoning: true, maxCompletionTokens: 100000 });
      if (problem) return sendJson(res, 400, { error: { message: problem[0], type: 'invalid_request_error', param: problem[1], code: problem[2] } });
      const answered = req.json.messages.some((m: { role: string }) => m.role === 'tool');
      startStream(res);
      if (answered) {
        res.write(chunk('gpt-5', { role: 'assistant', content: 'patched' }));
        res.write(chunk('gpt-5', {}, 'stop'));
      } else {
        res.write(chunk('gpt-5', { role: 'assistant', tool_calls: [{ index: 0, id: 'call_patch', type: 'function', function: { name: 'apply_patch', arguments: '' } }] }));
        res.write(chunk('gpt-5', { tool_calls: [{ index: 0, function: { arguments: JSON.stringify({ input: PATCH }) } }] }));
        res.write(chunk('gpt-5', {}, 'tool_calls'));
      }
      res.end('data: [DONE]\n\n');
    });
    anthropicFake = await startFakeAnthropic((body) => {
      const answered = body.messages.some((m: any) => Array.isArray(m.content) && m.content.some((b: any) => b.type === 'tool_result'));
      return answered
        ? { content: [{ type: 'text', text: 'spawned' }], stop_reason: 'end_turn', usage: { input_tokens: 20, output_tokens: 2 } }
        : { content: [{ type: 'tool_use', id: 'toolu_01', name: 'multi_agent_v1__spawn_agent', input: { task: 'review' } }], stop_reason: 'tool_use', usage: { input_tokens: 20, output_tokens: 9 } };
    });
    gw = await startTestGateway({
      '10-providers.yaml': `providers:
  oa:
    type: openai
    base_url: ${openaiFake.url}/v1
    models: { gpt-5: {} }
  an:
    type: anthropic
    base_url: ${anthropicFake.url}
    api_keys: ["\${SY_CODEX_ANTHROPIC}"]
    models: { claude-sonnet-4-5: {} }
`,
      'keys/test.yaml': keysYaml(['*']),
    });
    client = new OpenAI({ apiKey: TEST_TOKEN, baseURL: `${gw.url}/v1`, maxRetries: 0 });
  });
  after(async () => { await gw.close(); await openaiFake.close(); await anthropicFake.close(); });

  /** One streamed turn as Codex runs it; returns the finished response and the x-switchyard-dropped header. */
  async function turn(model: string, input: unknown[]) {
    const { data: stream, response } = await client.responses.create({
      model, input, tools, tool_choice: 'auto', parallel_tool_calls: false, store: false, stream: true,
      include: ['reasoning.encrypted_content'], reasoning: { effort: 'medium' },
    } as any).withResponse();
    let done: any;
    const kinds: string[] = [];
    for await (const event of stream as any) {
      kinds.push(event.type);
      if (event.type === 'response.completed') done = event.response;
    }
    return { done, kinds, dropped: response.headers.get('x-switchyard-dropped') };
  }

  it('to an OpenAI Chat upstream: the custom apply_patch call comes back as a custom_tool_call, and its output goes back as a tool result', async () => {
    const user = { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'add hello.txt' }] };
    const first = await turn('oa/gpt-5', [user]);
    const sent = openaiFake.requests.at(-1)!.json;
    expect(sent.tools.map((t: any) => [t.type, t.function.name])).to.deep.equal([
      ['function', 'exec_command'], ['function', 'multi_agent_v1__spawn_agent'], ['function', 'apply_patch'],
    ]);
    expect(first.dropped!.split(',')).to.include('tools:web_search');
    const call = first.done.output.find((item: any) => item.type === 'custom_tool_call');
    expect(call).to.include({ name: 'apply_patch', input: PATCH, call_id: 'call_patch' });
    expect(first.kinds).to.include('response.custom_tool_call_input.done');

    const second = await turn('oa/gpt-5', [user, { type: 'custom_tool_call', call_id: call.call_id, name: 'apply_patch', input: call.input }, { type: 'custom_tool_call_output', call_id: call.call_id, output: 'Success. Updated hello.txt' }]);
    expect(second.done.output.at(-1).content[0].text).to.equal('patched');
    const replay = openaiFake.requests.at(-1)!.json.messages;
    expect(replay.find((m: any) => m.role === 'assistant').tool_calls[0].function).to.deep.equal({ name: 'apply_patch', arguments: JSON.stringify({ input: PATCH }) });
    expect(replay.find((m: any) => m.role === 'tool')).to.include({ tool_call_id: 'call_patch', content: 'Success. Updated hello.txt' });
  });

  it('to an Anthropic upstream: a namespaced call comes back with its namespace and name apart', async () => {
    const user = { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'review in a sub-agent' }] };
    const first = await turn('an/claude-sonnet-4-5', [user]);
    const call = first.done.output.find((item: any) => item.type === 'function_call');
    expect(call).to.include({ name: 'spawn_agent', namespace: 'multi_agent_v1', arguments: '{"task":"review"}' });
    const second = await turn('an/claude-sonnet-4-5', [user,
      { type: 'function_call', call_id: call.call_id, namespace: 'multi_agent_v1', name: 'spawn_agent', arguments: call.arguments },
      { type: 'function_call_output', call_id: call.call_id, output: 'agent 7 started' }]);
    expect(second.done.output.at(-1).content[0].text).to.equal('spawned');
    const replay = anthropicFake.requests.at(-1)!.json.messages;
    expect(replay[1].content[0]).to.include({ type: 'tool_use', name: 'multi_agent_v1__spawn_agent' });
  });
});
