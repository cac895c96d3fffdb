// The top-level request fields each inbound protocol's decoder carries into
// the IR. On translation, any other top-level field the caller sent is
// dropped (the per-codec index.ts files say why for each known one); the data
// path names them in `x-switchyard-dropped` so nothing vanishes silently.

import type { Protocol } from './codec.ts';

const sampling = ['temperature', 'top_p'];

const translated: Partial<Record<Protocol, ReadonlySet<string>>> = {
  'openai-chat': new Set([
    'model', 'messages', 'stream', 'stream_options', 'tools', 'tool_choice', 'parallel_tool_calls', 'response_format',
    'max_tokens', 'max_completion_tokens', 'stop', 'user', 'reasoning_effort', ...sampling,
  ]),
  'openai-responses': new Set([
    'model', 'input', 'instructions', 'stream', 'tools', 'tool_choice', 'parallel_tool_calls', 'max_output_tokens',
    'text', 'reasoning', 'user', ...sampling,
  ]),
  anthropic: new Set([
    'model', 'max_tokens', 'messages', 'system', 'stream', 'tools', 'tool_choice', 'stop_sequences', 'metadata',
    'output_config', 'thinking', ...sampling,
  ]),
  'ollama-chat': new Set(['model', 'messages', 'tools', 'stream', 'format', 'options', 'think']),
  'ollama-generate': new Set(['model', 'prompt', 'suffix', 'system', 'images', 'stream', 'format', 'options', 'think']),
};

/** The caller's top-level fields that translation leaves out, in the order sent. */
export function untranslatedFields(protocol: Protocol, body: Record<string, unknown>): string[] {
  const known = translated[protocol];
  if (!known) return [];
  const dropped: string[] = [];
  for (const key in body) if (!known.has(key)) dropped.push(key);
  return dropped;
}
