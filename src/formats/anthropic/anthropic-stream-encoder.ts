// IR stream events -> the Anthropic Messages SSE sequence:
//   message_start, then per content block content_block_start,
//   content_block_delta (text_delta | thinking_delta | signature_delta |
//   input_json_delta)..., content_block_stop, then message_delta (stop_reason,
//   usage) and message_stop. Blocks never interleave: a new kind of output
//   closes the open block. Usage from a non-Anthropic upstream is known only at
//   the end, so message_start reports zeros and message_delta the full counts
//   (input_tokens included), as spec section 6 says. An error after the first
//   byte is `event: error`, which the Anthropic SDK raises.

import type { StreamEncoder } from '../codec.ts';
import type { FinishReason, GatewayError, StreamEvent, TokenUsage } from '../ir.ts';
import { emptyUsage } from '../ir.ts';
import { finishWithToolCalls } from '../shared/finish-with-tool-calls.ts';
import { formatSse } from '../sse.ts';
import { toAnthropicUsage } from './convert-anthropic-usage.ts';
import { encodeAnthropicError } from './encode-anthropic-error.ts';
import { toAnthropicStopReason } from './map-anthropic-stop-reason.ts';

type OpenBlock =
  | { kind: 'text'; index: number }
  | { kind: 'thinking'; index: number }
  | { kind: 'tool'; index: number; toolIndex: number };

export class AnthropicStreamEncoder implements StreamEncoder {
  private readonly model: string;
  private id = `msg_${crypto.randomUUID().replaceAll('-', '')}`;
  private started = false;
  private closed = false;
  private open: OpenBlock | undefined;
  private nextBlock = 0;
  /** IR tool index -> content block index, for argument fragments. */
  private readonly toolBlocks = new Map<number, number>();
  private finishReason: FinishReason | undefined;
  private usage: TokenUsage | undefined;

  constructor(model: string) {
    this.model = model;
  }

  encode(event: StreamEvent): string {
    if (this.closed) return '';
    switch (event.type) {
      case 'start':
        if (event.id) this.id = event.id;
        return this.start();
      case 'text':
        if (event.text === '') return this.start();
        return this.start() + this.ensureBlock('text') + this.send('content_block_delta', {
          type: 'content_block_delta', index: this.open!.index, delta: { type: 'text_delta', text: event.text },
        });
      case 'reasoning': {
        let out = this.start();
        if (event.text !== '') {
          out += this.ensureBlock('thinking') + this.send('content_block_delta', {
            type: 'content_block_delta', index: this.open!.index, delta: { type: 'thinking_delta', thinking: event.text },
          });
        }
        if (event.signature) {
          out += this.ensureBlock('thinking') + this.send('content_block_delta', {
            type: 'content_block_delta', index: this.open!.index, delta: { type: 'signature_delta', signature: event.signature },
          });
        }
        return out;
      }
      case 'tool_call_start':
        return this.start() + this.openTool(event.index, event.id, event.name);
      case 'tool_call_delta': {
        let out = this.start();
        let index = this.toolBlocks.get(event.index);
        if (index === undefined) {
          out += this.openTool(event.index, `toolu_${event.index}`, '');
          index = this.toolBlocks.get(event.index)!;
        }
        if (event.arguments === '') return out;
        return out + this.send('content_block_delta', {
          type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: event.arguments },
        });
      }
      case 'usage':
        this.usage = event.usage;
        return '';
      case 'finish':
        this.finishReason ??= event.reason;
        return this.start() + this.closeBlock();
      case 'error':
        return this.error({ status: event.status, type: event.errorType, message: event.message });
    }
  }

  end(): string {
    if (this.closed) return '';
    const out = this.start() + this.closeBlock();
    this.closed = true;
    const reason = toAnthropicStopReason(finishWithToolCalls(this.finishReason ?? 'stop', this.toolBlocks.size > 0));
    return out
      + this.send('message_delta', {
        type: 'message_delta',
        delta: { stop_reason: reason, stop_sequence: null },
        usage: toAnthropicUsage(this.usage ?? emptyUsage()),
      })
      + this.send('message_stop', { type: 'message_stop' });
  }

  error(error: GatewayError): string {
    if (this.closed) return '';
    this.closed = true;
    return this.send('error', encodeAnthropicError(error));
  }

  private start(): string {
    if (this.started) return '';
    this.started = true;
    return this.send('message_start', {
      type: 'message_start',
      message: {
        id: this.id,
        type: 'message',
        role: 'assistant',
        model: this.model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { input_tokens: 0, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
      },
    });
  }

  private ensureBlock(kind: 'text' | 'thinking'): string {
    if (this.open?.kind === kind) return '';
    const out = this.closeBlock();
    const index = this.nextBlock++;
    this.open = { kind, index };
    const block = kind === 'text' ? { type: 'text', text: '' } : { type: 'thinking', thinking: '', signature: '' };
    return out + this.send('content_block_start', { type: 'content_block_start', index, content_block: block });
  }

  private openTool(toolIndex: number, id: string, name: string): string {
    const out = this.closeBlock();
    const index = this.nextBlock++;
    this.open = { kind: 'tool', index, toolIndex };
    this.toolBlocks.set(toolIndex, index);
    return out + this.send('content_block_start', {
      type: 'content_block_start', index, content_block: { type: 'tool_use', id, name, input: {} },
    });
  }

  private closeBlock(): string {
    if (!this.open) return '';
    const index = this.open.index;
    this.open = undefined;
    return this.send('content_block_stop', { type: 'content_block_stop', index });
  }

  private send(event: string, data: unknown): string {
    return formatSse(event, JSON.stringify(data));
  }
}
