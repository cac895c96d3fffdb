// IR stream events -> Ollama NDJSON: one `done:false` line per text or
// thinking delta as it arrives, then a `done:true` line with the counters.
// Ollama hands tool calls over whole (arguments as an object), so argument
// fragments are held until the reply finishes and the calls go out in one
// line just before the last; text is never held back.

import type { StreamEncoder } from '../codec.ts';
import type { FinishReason, GatewayError, StreamEvent, TokenUsage } from '../ir.ts';
import type { OllamaVariant } from './encode-response.ts';
import { counters, doneReason, timestamp, toolCall } from './reply-fields.ts';
import type { OllamaEnvironment } from './reply-fields.ts';

interface HeldCall { id: string; name: string; arguments: string }

const NANOSECONDS_PER_MILLISECOND = 1_000_000;

export class OllamaStreamEncoder implements StreamEncoder {
  private readonly model: string;
  private readonly variant: OllamaVariant;
  private readonly environment: OllamaEnvironment;
  private readonly startedAt: number;
  private firstOutputAt: number | undefined;
  /** Tool calls by IR index, in the order they started. */
  private readonly calls = new Map<number, HeldCall>();
  private usage: TokenUsage | undefined;
  private finishReason: FinishReason | undefined;
  private terminated = false;

  constructor(model: string, variant: OllamaVariant, environment: OllamaEnvironment) {
    this.model = model;
    this.variant = variant;
    this.environment = environment;
    this.startedAt = environment.now();
  }

  encode(event: StreamEvent): string {
    if (this.terminated) return '';
    switch (event.type) {
      case 'start':
        return '';
      case 'text':
        return event.text === '' ? '' : this.delta({ content: event.text });
      case 'reasoning':
        // A signature alone has no Ollama form.
        return event.text === '' ? '' : this.delta({ thinking: event.text });
      case 'tool_call_start':
        if (!this.calls.has(event.index)) this.calls.set(event.index, { id: event.id, name: event.name, arguments: '' });
        return '';
      case 'tool_call_delta': {
        const call = this.calls.get(event.index);
        if (call) call.arguments += event.arguments;
        return '';
      }
      case 'usage':
        this.usage = event.usage;
        return '';
      case 'finish':
        this.finishReason = event.reason;
        return this.releaseCalls();
      case 'error':
        return this.error({ status: event.status, type: event.errorType, message: event.message });
    }
  }

  end(): string {
    if (this.terminated) return '';
    const out = this.releaseCalls();
    this.terminated = true;
    const endedAt = this.environment.now();
    const firstOutputAt = this.firstOutputAt ?? endedAt;
    const final: Record<string, unknown> = {
      ...this.head(endedAt, this.variant === 'chat' ? { content: '' } : { response: '' }),
      done: true,
      done_reason: doneReason(this.finishReason),
      ...(this.variant === 'generate' ? { context: [] } : {}),
      ...counters(this.usage, {
        total: (endedAt - this.startedAt) * NANOSECONDS_PER_MILLISECOND,
        promptEval: (firstOutputAt - this.startedAt) * NANOSECONDS_PER_MILLISECOND,
        eval: (endedAt - firstOutputAt) * NANOSECONDS_PER_MILLISECOND,
      }),
    };
    return out + line(final);
  }

  /** The Ollama client throws on a line holding `error`. */
  error(error: GatewayError): string {
    if (this.terminated) return '';
    this.terminated = true;
    return line({ error: error.message });
  }

  private delta(fields: { content?: string; thinking?: string; tool_calls?: unknown[] }): string {
    const at = this.environment.now();
    this.firstOutputAt ??= at;
    const body = this.variant === 'chat'
      ? { content: '', ...fields }
      : { response: fields.content ?? '', ...(fields.thinking === undefined ? {} : { thinking: fields.thinking }) };
    return line({ ...this.head(at, body), done: false });
  }

  private releaseCalls(): string {
    if (this.calls.size === 0) return '';
    const calls = [...this.calls.values()].map((call, index) => toolCall(index, call.id, call.name, call.arguments));
    this.calls.clear();
    // /api/generate has no tool calls: its requests carry no tools.
    return this.variant === 'chat' ? this.delta({ tool_calls: calls }) : '';
  }

  private head(at: number, body: Record<string, unknown>): Record<string, unknown> {
    const head = { model: this.model, created_at: timestamp(at) };
    return this.variant === 'chat' ? { ...head, message: { role: 'assistant', ...body } } : { ...head, ...body };
  }
}

function line(value: unknown): string {
  return `${JSON.stringify(value)}\n`;
}
