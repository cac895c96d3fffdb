// `chat.completion.chunk` SSE events from an OpenAI-compatible upstream -> IR
// stream events. The first chunk opens the reply; tool calls arrive as a delta
// with index/id/name followed by argument fragments for the same index; the
// finish_reason chunk precedes the usage-only chunk (`choices: []`); `[DONE]`
// ends the stream. An `{"error":{...}}` payload is an upstream error mid-stream.

import { FormatError } from '../codec.ts';
import type { StreamDecoder, WireEvent } from '../codec.ts';
import type { FinishReason, StreamEvent } from '../ir.ts';
import { fromOpenAIChatUsage } from './convert-openai-chat-usage.ts';
import { decodeOpenAIChatError } from './decode-openai-chat-error.ts';
import { reasoningText } from './decode-openai-chat-response.ts';
import { finishWithToolCalls } from '../shared/finish-with-tool-calls.ts';
import { isRecord } from '../shared/json-reader.ts';
import type { JsonObject } from '../shared/json-reader.ts';
import { mapOpenAIFinishReason } from './map-openai-finish-reason.ts';

export class OpenAIChatStreamDecoder implements StreamDecoder {
  private finished = false;
  private started = false;
  private ended = false;
  /** Upstream tool_calls index -> the IR index given at its start. */
  private readonly toolIndexes = new Map<number, number>();

  /** The reply is complete at its finish_reason: some compatible servers never
   *  send [DONE]. Events after it (the usage chunk) are still read. */
  get done(): boolean {
    return this.ended || this.finished;
  }

  decode(event: WireEvent): StreamEvent[] {
    if (this.ended) return [];
    const data = event.data.trim();
    if (data === '[DONE]') {
      this.ended = true;
      return [];
    }
    if (data === '') return [];
    let chunk: unknown;
    try {
      chunk = JSON.parse(data);
    } catch {
      throw new FormatError('upstream stream sent an event that is not JSON', 502);
    }
    if (!isRecord(chunk)) throw new FormatError('upstream stream sent an event that is not a chunk object', 502);
    if (chunk.error !== undefined && chunk.error !== null) {
      this.ended = true;
      const error = decodeOpenAIChatError(502, chunk);
      const status = isRecord(chunk.error) && typeof chunk.error.code === 'number' ? chunk.error.code : 502;
      return [{ type: 'error', status, errorType: error.type, message: error.message }];
    }

    const events: StreamEvent[] = [];
    if (!this.started) {
      this.started = true;
      events.push({
        type: 'start',
        id: typeof chunk.id === 'string' ? chunk.id : '',
        model: typeof chunk.model === 'string' ? chunk.model : '',
        created: typeof chunk.created === 'number' ? chunk.created : Math.floor(Date.now() / 1000),
      });
    }
    const choices = Array.isArray(chunk.choices) ? chunk.choices : [];
    const choice = choices.find((entry) => isRecord(entry) && (entry.index === undefined || entry.index === 0));
    if (isRecord(choice)) {
      if (isRecord(choice.delta)) this.decodeDelta(choice.delta, events);
      const reason = choice.finish_reason;
      if (typeof reason === 'string' && reason !== '' && !this.finished) {
        this.finished = true;
        events.push({ type: 'finish', reason: this.finishReason(mapOpenAIFinishReason(reason)) });
      }
    }
    const usage = fromOpenAIChatUsage(chunk.usage);
    if (usage) events.push({ type: 'usage', usage });
    return events;
  }

  private finishReason(reason: FinishReason): FinishReason {
    return finishWithToolCalls(reason, this.toolIndexes.size > 0);
  }

  private decodeDelta(delta: JsonObject, events: StreamEvent[]): void {
    const reasoning = reasoningText(delta);
    if (reasoning !== '') events.push({ type: 'reasoning', text: reasoning });
    if (typeof delta.content === 'string' && delta.content !== '') events.push({ type: 'text', text: delta.content });
    if (typeof delta.refusal === 'string' && delta.refusal !== '') events.push({ type: 'text', text: delta.refusal });
    if (!Array.isArray(delta.tool_calls)) return;
    for (const raw of delta.tool_calls) {
      if (!isRecord(raw)) throw new FormatError('upstream stream sent a tool call delta that is not an object', 502);
      const upstreamIndex = typeof raw.index === 'number' ? raw.index : this.toolIndexes.size;
      const fn = isRecord(raw.function) ? raw.function : {};
      let index = this.toolIndexes.get(upstreamIndex);
      if (index === undefined) {
        index = this.toolIndexes.size;
        this.toolIndexes.set(upstreamIndex, index);
        events.push({
          type: 'tool_call_start',
          index,
          id: typeof raw.id === 'string' && raw.id !== '' ? raw.id : `call_${crypto.randomUUID().replaceAll('-', '').slice(0, 24)}`,
          name: typeof fn.name === 'string' ? fn.name : '',
        });
      }
      const args = fn.arguments;
      if (typeof args === 'string' && args !== '') events.push({ type: 'tool_call_delta', index, arguments: args });
      else if (isRecord(args)) events.push({ type: 'tool_call_delta', index, arguments: JSON.stringify(args) });
    }
  }
}
