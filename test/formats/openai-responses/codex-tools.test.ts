// The tool kinds Codex offers besides flat functions: namespace tools,
// custom (freeform) tools, a client-executed tool_search, hosted tools, and
// the input items that carry them (additional_tools, custom_tool_call,
// tool_search_call/output). Upstreams get functions; calls come back in the
// shape the caller offered (Codex refuses a flattened name as unknown).

import { expect } from 'chai';
import type { ChatResponse, StreamEvent } from '../../../src/formats/ir.ts';
import { createResponsesInbound } from '../../../src/formats/openai-responses/index.ts';
import { parseSse } from './sse-text.ts';

const APPLY_PATCH_GRAMMAR = 'start: begin_patch hunk+ end_patch\nbegin_patch: "*** Begin Patch" LF';

/** A request shaped like Codex 0.17x's default: a namespace, a custom tool, a hosted tool, a flat function, tool_search. */
const codexRequest = {
  model: 'gpt-4-pool',
  instructions: 'You are Codex.',
  input: [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: 'fix the bug' }] }],
  tools: [
    { type: 'function', name: 'exec_command', description: 'Run a command', parameters: { type: 'object', properties: { cmd: { type: 'string' } }, required: ['cmd'] }, strict: false },
    {
      type: 'namespace', name: 'multi_agent_v1', description: 'Sub-agents',
      tools: [
        { type: 'function', name: 'spawn_agent', description: 'Start a sub-agent', parameters: { type: 'object', properties: { task: { type: 'string' } } } },
        { type: 'function', name: 'wait', parameters: { type: 'object', properties: {} } },
      ],
    },
    { type: 'custom', name: 'apply_patch', description: 'Edit files with a patch.', format: { type: 'grammar', syntax: 'lark', definition: APPLY_PATCH_GRAMMAR } },
    { type: 'web_search', external_web_access: false },
    { type: 'tool_search', execution: 'client', description: 'Find more tools', parameters: { type: 'object', properties: { query: { type: 'string' } }, required: ['query'] } },
  ],
  tool_choice: 'auto',
  parallel_tool_calls: false,
  reasoning: { effort: 'medium', summary: 'auto' },
  store: false,
  stream: true,
  include: ['reasoning.encrypted_content'],
  prompt_cache_key: 'thread-1',
};

function pinned(body: Record<string, unknown> = codexRequest) {
  let next = 0;
  const codec = createResponsesInbound({ now: () => 1_757_540_000_000, randomId: () => String(++next).padStart(8, '0') });
  return codec.forRequest!(body);
}

describe('Codex tools through the Responses codec', () => {
  it('offers every tool upstream as a function, drops the hosted one and says so', () => {
    const decoded = pinned().decodeRequest(codexRequest);
    expect(decoded.tools!.map((t) => t.name)).to.deep.equal(['exec_command', 'multi_agent_v1__spawn_agent', 'multi_agent_v1__wait', 'apply_patch', 'tool_search']);
    const patch = decoded.tools!.find((t) => t.name === 'apply_patch')!;
    expect(patch.parameters).to.deep.equal({
      type: 'object', properties: { input: { type: 'string', description: 'The raw input for apply_patch, exactly as the tool takes it.' } }, required: ['input'], additionalProperties: false,
    });
    expect(patch.description).to.include('Edit files with a patch.').and.to.include(APPLY_PATCH_GRAMMAR).and.to.include('lark grammar');
    expect(decoded.dropped).to.deep.equal(['tools:web_search']);
  });

  it('reads a conversation with namespaced, custom and tool_search calls, and the tools those items add', () => {
    const decoded = pinned().decodeRequest({
      ...codexRequest,
      input: [
        { role: 'user', content: 'go' },
        { type: 'function_call', call_id: 'c1', namespace: 'multi_agent_v1', name: 'spawn_agent', arguments: '{"task":"t"}' },
        { type: 'function_call_output', call_id: 'c1', output: 'spawned' },
        { type: 'custom_tool_call', call_id: 'c2', name: 'apply_patch', input: '*** Begin Patch\n*** End Patch' },
        { type: 'custom_tool_call_output', call_id: 'c2', output: 'Done!' },
        { type: 'tool_search_call', call_id: 'c3', execution: 'client', arguments: { query: 'calendar' } },
        { type: 'tool_search_output', call_id: 'c3', execution: 'client', status: 'completed', tools: [{ type: 'function', name: 'create_event', parameters: { type: 'object', properties: {} } }] },
        { type: 'additional_tools', tools: [{ type: 'namespace', name: 'mcp_docs', tools: [{ type: 'function', name: 'read', parameters: { type: 'object', properties: {} } }] }] },
        { type: 'web_search_call', id: 'ws_1', status: 'completed', action: { type: 'search', query: 'x' } },
      ],
    });
    const calls = decoded.messages.flatMap((m) => m.content).filter((p) => p.type === 'tool_call');
    expect(calls).to.deep.equal([
      { type: 'tool_call', id: 'c1', name: 'multi_agent_v1__spawn_agent', arguments: '{"task":"t"}' },
      { type: 'tool_call', id: 'c2', name: 'apply_patch', arguments: '{"input":"*** Begin Patch\\n*** End Patch"}' },
      { type: 'tool_call', id: 'c3', name: 'tool_search', arguments: '{"query":"calendar"}' },
    ]);
    const results = decoded.messages.flatMap((m) => m.content).filter((p) => p.type === 'tool_result').map((p) => p.type === 'tool_result' && p.toolCallId);
    expect(results).to.deep.equal(['c1', 'c2', 'c3']);
    expect(decoded.tools!.map((t) => t.name)).to.include.members(['create_event', 'mcp_docs__read']);
  });

  it('returns calls in the shape the caller offered: namespace apart, custom input as a string, tool_search arguments as an object', () => {
    const reply: ChatResponse = {
      id: 'r1', model: 'up', created: 1_757_540_000, finishReason: 'tool_calls',
      content: [
        { type: 'tool_call', id: 'call_a', name: 'multi_agent_v1__spawn_agent', arguments: '{"task":"t"}' },
        { type: 'tool_call', id: 'call_b', name: 'apply_patch', arguments: '{"input":"*** Begin Patch\\n*** End Patch"}' },
        { type: 'tool_call', id: 'call_c', name: 'tool_search', arguments: '{"query":"calendar"}' },
        { type: 'tool_call', id: 'call_d', name: 'exec_command', arguments: '{"cmd":"ls"}' },
      ],
    };
    const body = pinned().encodeResponse(reply, 'gpt-4-pool') as { output: Record<string, unknown>[] };
    expect(body.output.map(({ id: _id, ...item }) => item)).to.deep.equal([
      { type: 'function_call', status: 'completed', arguments: '{"task":"t"}', call_id: 'call_a', name: 'spawn_agent', namespace: 'multi_agent_v1' },
      { type: 'custom_tool_call', status: 'completed', call_id: 'call_b', name: 'apply_patch', input: '*** Begin Patch\n*** End Patch' },
      { type: 'tool_search_call', status: 'completed', call_id: 'call_c', execution: 'client', arguments: { query: 'calendar' } },
      { type: 'function_call', status: 'completed', arguments: '{"cmd":"ls"}', call_id: 'call_d', name: 'exec_command' },
    ]);
    expect(body.output[1]!.id).to.match(/^ctc_/);
  });

  it('streams a custom tool call: announced at its start, its input written whole when it closes', () => {
    const encoder = pinned().createStreamEncoder('gpt-4-pool', { includeUsage: true });
    const events: StreamEvent[] = [
      { type: 'start', id: 'r1', model: 'up', created: 1_757_540_000 },
      { type: 'tool_call_start', index: 0, id: 'call_b', name: 'apply_patch' },
      { type: 'tool_call_delta', index: 0, arguments: '{"input":"*** Begin' },
      { type: 'tool_call_delta', index: 0, arguments: ' Patch"}' },
      { type: 'tool_call_start', index: 1, id: 'call_a', name: 'multi_agent_v1__wait' },
      { type: 'tool_call_delta', index: 1, arguments: '{}' },
      { type: 'finish', reason: 'tool_calls' },
    ];
    const sse = parseSse(events.map((e) => encoder.encode(e)).join('') + encoder.end());
    const names = sse.map((e) => e.event);
    expect(names).to.deep.equal([
      'response.created', 'response.in_progress', 'response.output_item.added', 'response.output_item.added',
      'response.function_call_arguments.delta',
      'response.custom_tool_call_input.delta', 'response.custom_tool_call_input.done', 'response.output_item.done',
      'response.function_call_arguments.done', 'response.output_item.done', 'response.completed',
    ]);
    const added = sse.filter((e) => e.event === 'response.output_item.added').map((e) => (e.data as any).item);
    expect(added[0]).to.include({ type: 'custom_tool_call', name: 'apply_patch', input: '' });
    expect(added[1]).to.include({ type: 'function_call', name: 'wait', namespace: 'multi_agent_v1' });
    const inputDone = sse.find((e) => e.event === 'response.custom_tool_call_input.done')!.data as any;
    expect(inputDone.input).to.equal('*** Begin Patch');
    const completed = sse.at(-1)!.data as any;
    expect(completed.response.output.map((i: any) => [i.type, i.name, i.input ?? i.arguments])).to.deep.equal([
      ['custom_tool_call', 'apply_patch', '*** Begin Patch'], ['function_call', 'wait', '{}'],
    ]);
  });
});
