// `streamGenerateContent?alt=sse` events -> IR stream events. Each event is a
// whole GenerateContentResponse holding the next parts; a function call arrives
// whole, so it becomes a tool_call_start plus one tool_call_delta with all its
// arguments. usageMetadata is cumulative; the latest goes out just before the
// finish (and again if a later chunk still updates it). Gemini sends no end
// marker: the stream is complete once a finishReason has arrived.

import { FormatError } from '../codec.ts';
import type { StreamDecoder, WireEvent } from '../codec.ts';
import type { StreamEvent, TokenUsage } from '../ir.ts';
import { finishWithToolCalls } from '../shared/finish-with-tool-calls.ts';
import { isRecord } from '../shared/json-reader.ts';
import { fromGeminiUsage } from './convert-gemini-usage.ts';
import { decodeGeminiError } from './decode-gemini-error.ts';
import { mapGeminiFinishReason } from './map-gemini-finish-reason.ts';
import { GeminiPartReader } from './read-gemini-parts.ts';

export class GeminiStreamDecoder implements StreamDecoder {
  private reader: GeminiPartReader | undefined;
  private finished = false;
  private failed = false;
  private usage: TokenUsage | undefined;

  get done(): boolean {
    return this.finished || this.failed;
  }

  decode(event: WireEvent): StreamEvent[] {
    if (this.failed) return [];
    let chunk: unknown;
    try {
      chunk = JSON.parse(event.data);
    } catch {
      throw new FormatError('upstream stream sent an event that is not JSON', 502);
    }
    if (Array.isArray(chunk) && chunk.length === 1) chunk = chunk[0];
    if (!isRecord(chunk)) throw new FormatError('upstream stream sent an event that is not an object', 502);
    if (isRecord(chunk.error)) {
      this.failed = true;
      const status = typeof chunk.error.code === 'number' ? chunk.error.code : 502;
      const error = decodeGeminiError(status, chunk);
      return [{ type: 'error', status, errorType: error.type, message: error.message }];
    }

    const events: StreamEvent[] = [];
    if (!this.reader) {
      this.reader = new GeminiPartReader(chunk.responseId);
      events.push({
        type: 'start',
        id: typeof chunk.responseId === 'string' ? chunk.responseId : `gemini-${crypto.randomUUID().replaceAll('-', '')}`,
        model: typeof chunk.modelVersion === 'string' ? chunk.modelVersion : '',
        created: Math.floor(Date.now() / 1000),
      });
    }
    const reader = this.reader;
    const candidate = Array.isArray(chunk.candidates) && isRecord(chunk.candidates[0]) ? chunk.candidates[0] : undefined;
    if (candidate && isRecord(candidate.content)) {
      let index = reader.toolCallCount;
      for (const part of reader.read(candidate.content.parts)) {
        if (part.type === 'text') events.push({ type: 'text', text: part.text });
        else if (part.type === 'reasoning') events.push({ type: 'reasoning', text: part.text });
        else if (part.type === 'tool_call') {
          events.push({ type: 'tool_call_start', index, id: part.id, name: part.name });
          events.push({ type: 'tool_call_delta', index, arguments: part.arguments });
          index++;
        }
      }
    }
    const usage = fromGeminiUsage(chunk.usageMetadata);
    if (usage) this.usage = usage;

    const blocked = !candidate && isRecord(chunk.promptFeedback) && chunk.promptFeedback.blockReason !== undefined;
    const reason = candidate?.finishReason;
    if (!this.finished && ((typeof reason === 'string' && reason !== '' && reason !== 'FINISH_REASON_UNSPECIFIED') || blocked)) {
      this.finished = true;
      if (this.usage) events.push({ type: 'usage', usage: this.usage });
      const finish = blocked ? 'content_filter' : mapGeminiFinishReason(reason);
      events.push({ type: 'finish', reason: finishWithToolCalls(finish, reader.toolCallCount > 0) });
    } else if (this.finished && usage) {
      events.push({ type: 'usage', usage });
    }
    return events;
  }
}
