// IR stream events -> `chat.completion.chunk` SSE events, one upstream event at a
// time. Order on the wire: a role chunk first, content / reasoning_content /
// tool_calls deltas as they come, one finish_reason chunk, then (only when the
// caller asked with stream_options.include_usage) a usage chunk with
// `choices: []`, then `data: [DONE]`. An error after the first byte is
// `data: {"error":{...}}` and no [DONE], which the OpenAI SDK raises.

import type { StreamEncoder } from '../codec.ts';
import type { FinishReason, GatewayError, StreamEvent, TokenUsage } from '../ir.ts';
import { toOpenAIChatUsage } from './convert-openai-chat-usage.ts';
import type { OpenAIChatUsage } from './convert-openai-chat-usage.ts';
import { encodeOpenAIChatError } from './encode-openai-chat-error.ts';
import { finishWithToolCalls } from '../shared/finish-with-tool-calls.ts';
import { toOpenAIFinishReason } from './map-openai-finish-reason.ts';
import type { OpenAIFinishReason } from './map-openai-finish-reason.ts';

interface ToolCallDelta {
  index: number;
  id?: string;
  type?: 'function';
  function: { name?: string; arguments: string };
}

interface ChunkDelta {
  role?: 'assistant';
  content?: string;
  reasoning_content?: string;
  tool_calls?: ToolCallDelta[];
}

interface Chunk {
  id: string;
  object: 'chat.completion.chunk';
  created: number;
  model: string;
  choices: Array<{ index: 0; delta: ChunkDelta; logprobs: null; finish_reason: OpenAIFinishReason | null }>;
  usage?: OpenAIChatUsage | null;
}

export class OpenAIChatStreamEncoder implements StreamEncoder {
  private readonly model: string;
  private readonly includeUsage: boolean;
  private id = `chatcmpl-${crypto.randomUUID().replaceAll('-', '')}`;
  private created = Math.floor(Date.now() / 1000);
  private started = false;
  private finished = false;
  private closed = false;
  /** IR tool index -> the caller's dense 0-based tool_calls index. */
  private readonly toolIndexes = new Map<number, number>();
  private usage: TokenUsage | undefined;

  constructor(model: string, options: { includeUsage: boolean }) {
    this.model = model;
    this.includeUsage = options.includeUsage;
  }

  encode(event: StreamEvent): string {
    if (this.closed) return '';
    switch (event.type) {
      case 'start':
        if (this.started) return '';
        this.id = event.id || this.id;
        this.created = event.created || this.created;
        return this.start();
      case 'text':
        return event.text === '' ? this.start() : this.start() + this.delta({ content: event.text });
      case 'reasoning':
        return event.text === '' ? this.start() : this.start() + this.delta({ reasoning_content: event.text });
      case 'tool_call_start':
        return this.start() + this.delta({ tool_calls: [this.openToolCall(event.index, event.id, event.name)] });
      case 'tool_call_delta': {
        let out = this.start();
        let index = this.toolIndexes.get(event.index);
        if (index === undefined) {
          // A delta without its start: open the call so the caller can still assemble it.
          out += this.delta({ tool_calls: [this.openToolCall(event.index, `call_${event.index}`, '')] });
          index = this.toolIndexes.get(event.index)!;
        }
        if (event.arguments === '') return out;
        return out + this.delta({ tool_calls: [{ index, function: { arguments: event.arguments } }] });
      }
      case 'usage':
        this.usage = event.usage;
        return '';
      case 'finish':
        return this.finish(event.reason);
      case 'error':
        return this.error({ status: event.status, type: event.errorType, message: event.message });
    }
  }

  end(): string {
    if (this.closed) return '';
    let out = this.start();
    if (!this.finished) out += this.finish('stop');
    if (this.includeUsage && this.usage) {
      out += this.write({ id: this.id, object: 'chat.completion.chunk', created: this.created, model: this.model, choices: [], usage: toOpenAIChatUsage(this.usage) });
    }
    this.closed = true;
    return `${out}data: [DONE]\n\n`;
  }

  error(error: GatewayError): string {
    if (this.closed) return '';
    this.closed = true;
    return `data: ${JSON.stringify(encodeOpenAIChatError(error))}\n\n`;
  }

  private start(): string {
    if (this.started) return '';
    this.started = true;
    return this.delta({ role: 'assistant', content: '' });
  }

  private openToolCall(irIndex: number, id: string, name: string): ToolCallDelta {
    const index = this.toolIndexes.size;
    this.toolIndexes.set(irIndex, index);
    return { index, id, type: 'function', function: { name, arguments: '' } };
  }

  private finish(reason: FinishReason): string {
    if (this.finished) return '';
    this.finished = true;
    const finishReason = toOpenAIFinishReason(finishWithToolCalls(reason, this.toolIndexes.size > 0));
    return this.start() + this.chunk({}, finishReason);
  }

  private delta(delta: ChunkDelta): string {
    return this.chunk(delta, null);
  }

  private chunk(delta: ChunkDelta, finishReason: OpenAIFinishReason | null): string {
    const chunk: Chunk = {
      id: this.id,
      object: 'chat.completion.chunk',
      created: this.created,
      model: this.model,
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
    };
    // OpenAI marks every chunk but the last with usage: null when usage was asked for.
    if (this.includeUsage) chunk.usage = null;
    return this.write(chunk);
  }

  private write(chunk: Chunk): string {
    return `data: ${JSON.stringify(chunk)}\n\n`;
  }
}
