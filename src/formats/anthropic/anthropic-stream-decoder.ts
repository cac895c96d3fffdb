// Anthropic Messages SSE events -> IR stream events. message_start opens the
// reply and carries the input side of usage; each content block streams as
// text_delta / thinking_delta / signature_delta / input_json_delta;
// message_delta carries stop_reason and the cumulative output count (current
// API versions repeat the input side there); message_stop ends the stream.
// The IR usage event goes out once, complete, just before the finish event.
// ping and unknown event types are ignored (Anthropic may add new ones).

import { FormatError } from '../codec.ts';
import type { StreamDecoder, WireEvent } from '../codec.ts';
import type { StreamEvent } from '../ir.ts';
import { finishWithToolCalls } from '../shared/finish-with-tool-calls.ts';
import { countOf, isRecord } from '../shared/json-reader.ts';
import { anthropicStatusOfType } from '../shared/error-types.ts';
import type { JsonObject } from '../shared/json-reader.ts';
import { fromAnthropicUsage } from './convert-anthropic-usage.ts';
import type { AnthropicUsage } from './convert-anthropic-usage.ts';
import { mapAnthropicStopReason } from './map-anthropic-stop-reason.ts';


export class AnthropicStreamDecoder implements StreamDecoder {
  private ended = false;
  /** Raw Anthropic counters seen so far; message_delta overwrites the ones it carries. */
  private usage: AnthropicUsage | undefined;
  /** Content block index -> IR tool index. */
  private readonly toolBlocks = new Map<number, number>();
  private readonly signedThinking = new Set<number>();

  get done(): boolean {
    return this.ended;
  }

  decode(event: WireEvent): StreamEvent[] {
    if (this.ended) return [];
    let data: unknown;
    try {
      data = JSON.parse(event.data);
    } catch {
      throw new FormatError('upstream stream sent an event that is not JSON', 502);
    }
    if (!isRecord(data)) throw new FormatError('upstream stream sent an event that is not an object', 502);
    const type = typeof data.type === 'string' ? data.type : event.event;
    switch (type) {
      case 'message_start': {
        const message = isRecord(data.message) ? data.message : {};
        if (isRecord(message.usage)) this.mergeUsage(message.usage);
        return [{
          type: 'start',
          id: typeof message.id === 'string' ? message.id : '',
          model: typeof message.model === 'string' ? message.model : '',
          created: Math.floor(Date.now() / 1000),
        }];
      }
      case 'content_block_start':
        return this.blockStart(data);
      case 'content_block_delta':
        return this.blockDelta(data);
      case 'message_delta':
        return this.messageDelta(data);
      case 'message_stop':
        this.ended = true;
        return [];
      case 'error': {
        this.ended = true;
        const error = isRecord(data.error) ? data.error : {};
        const errorType = typeof error.type === 'string' ? error.type : 'api_error';
        return [{
          type: 'error',
          status: anthropicStatusOfType[errorType] ?? 500,
          errorType,
          message: typeof error.message === 'string' ? error.message : 'upstream stream failed',
        }];
      }
      default:
        return [];
    }
  }

  private blockStart(data: JsonObject): StreamEvent[] {
    const index = typeof data.index === 'number' ? data.index : -1;
    const block = isRecord(data.content_block) ? data.content_block : {};
    if (block.type === 'text' && typeof block.text === 'string' && block.text !== '') return [{ type: 'text', text: block.text }];
    if (block.type === 'thinking' && typeof block.thinking === 'string' && block.thinking !== '') return [{ type: 'reasoning', text: block.thinking }];
    if (block.type === 'tool_use') {
      const toolIndex = this.toolBlocks.size;
      this.toolBlocks.set(index, toolIndex);
      const events: StreamEvent[] = [{
        type: 'tool_call_start',
        index: toolIndex,
        id: typeof block.id === 'string' ? block.id : `toolu_${toolIndex}`,
        name: typeof block.name === 'string' ? block.name : '',
      }];
      // Streams open tool_use with `input: {}` and send the arguments as deltas.
      if (isRecord(block.input) && Object.keys(block.input).length > 0) {
        events.push({ type: 'tool_call_delta', index: toolIndex, arguments: JSON.stringify(block.input) });
      }
      return events;
    }
    return [];
  }

  private blockDelta(data: JsonObject): StreamEvent[] {
    const index = typeof data.index === 'number' ? data.index : -1;
    const delta = isRecord(data.delta) ? data.delta : {};
    switch (delta.type) {
      case 'text_delta':
        return typeof delta.text === 'string' && delta.text !== '' ? [{ type: 'text', text: delta.text }] : [];
      case 'thinking_delta':
        return typeof delta.thinking === 'string' && delta.thinking !== '' ? [{ type: 'reasoning', text: delta.thinking }] : [];
      case 'signature_delta':
        if (typeof delta.signature !== 'string' || this.signedThinking.has(index)) return [];
        this.signedThinking.add(index);
        return [{ type: 'reasoning', text: '', signature: delta.signature }];
      case 'input_json_delta': {
        const toolIndex = this.toolBlocks.get(index);
        if (toolIndex === undefined) return [];
        return typeof delta.partial_json === 'string' && delta.partial_json !== ''
          ? [{ type: 'tool_call_delta', index: toolIndex, arguments: delta.partial_json }]
          : [];
      }
      default:
        return [];
    }
  }

  private messageDelta(data: JsonObject): StreamEvent[] {
    const events: StreamEvent[] = [];
    if (isRecord(data.usage)) this.mergeUsage(data.usage);
    if (this.usage) events.push({ type: 'usage', usage: fromAnthropicUsage(this.usage)! });
    const delta = isRecord(data.delta) ? data.delta : {};
    if (typeof delta.stop_reason === 'string') {
      events.push({ type: 'finish', reason: finishWithToolCalls(mapAnthropicStopReason(delta.stop_reason), this.toolBlocks.size > 0) });
    }
    return events;
  }

  private mergeUsage(usage: JsonObject): void {
    const previous = this.usage;
    const pick = (key: 'input_tokens' | 'output_tokens' | 'cache_creation_input_tokens' | 'cache_read_input_tokens'): number => {
      const value = usage[key];
      return value === undefined || value === null ? previous?.[key] ?? 0 : countOf(usage, key);
    };
    const details = isRecord(usage.output_tokens_details) ? usage.output_tokens_details : undefined;
    this.usage = {
      input_tokens: pick('input_tokens'),
      output_tokens: pick('output_tokens'),
      cache_creation_input_tokens: pick('cache_creation_input_tokens'),
      cache_read_input_tokens: pick('cache_read_input_tokens'),
    };
    const thinking = details ? countOf(details, 'thinking_tokens') : previous?.output_tokens_details?.thinking_tokens;
    if (thinking) this.usage.output_tokens_details = { thinking_tokens: thinking };
  }
}
