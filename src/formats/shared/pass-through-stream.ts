// Watches a same-protocol (pass-through) stream on its way to the caller, one
// SSE event at a time: picks up usage, notices the end and an error event, and
// drops the usage-only chunk the gateway asked for on the caller's behalf.
// The protocol's rules (what ends a stream, what an error looks like) come
// from its codec folder (openai-chat/pass-through.ts, anthropic/pass-through.ts).

import type { PassThroughStreamScanner, UsageExtractor, WireEvent } from '../codec.ts';
import type { GatewayError, TokenUsage } from '../ir.ts';

/** One protocol's stream shapes, as a pass-through scanner needs them. */
export interface PassThroughStreamRules {
  usage: UsageExtractor;
  /** The event ends the stream (a clean close after it is complete). */
  ends(event: WireEvent): boolean;
  /** The event is the upstream's own error. */
  isError(event: WireEvent): boolean;
  /** The error's message, for the usage line. */
  errorMessage(data: string): string;
  /** The usage-only event the gateway asked for on the caller's behalf (dropped when the caller did not ask). */
  isUsageOnly?(data: string): boolean;
  /** A terminator line a complete stream must end with (OpenAI's `data: [DONE]`): the data it carries. */
  terminator?: string;
}

export class PassThroughStream implements PassThroughStreamScanner {
  usage: TokenUsage | undefined;
  sawEnd = false;
  upstreamError: GatewayError | undefined;
  private sawTerminator = false;
  private readonly rules: PassThroughStreamRules;
  private readonly stripUsage: boolean;

  /** `stripUsage`: drop the usage-only event (the gateway asked for usage, the caller did not). */
  constructor(rules: PassThroughStreamRules, stripUsage: boolean) {
    this.rules = rules;
    this.stripUsage = stripUsage;
  }

  event(event: WireEvent): string {
    const { rules } = this;
    if (rules.terminator !== undefined && event.data === rules.terminator) {
      this.sawEnd = true;
      this.sawTerminator = true;
      return `data: ${rules.terminator}\n\n`;
    }
    if (rules.ends(event)) this.sawEnd = true;
    if (rules.isError(event)) {
      this.upstreamError = { status: 502, message: rules.errorMessage(event.data) };
      this.sawEnd = true;
    }
    // A cheap test first: most events carry no usage, and the extractor parses JSON.
    if (event.data.includes('"usage"')) {
      const found = rules.usage(event.data);
      if (found) this.usage = mergeUsage(this.usage, found);
      if (this.stripUsage && rules.isUsageOnly?.(event.data)) return '';
    }
    return (event.event ? `event: ${event.event}\n` : '') + `data: ${event.data}\n\n`;
  }

  closing(): string {
    return this.rules.terminator !== undefined && !this.sawTerminator ? `data: ${this.rules.terminator}\n\n` : '';
  }
}

/** Streams may report usage in parts (Anthropic: input at the start, output at the end). */
function mergeUsage(previous: TokenUsage | undefined, next: TokenUsage): TokenUsage {
  if (!previous) return next;
  return {
    input: next.input || previous.input,
    output: next.output || previous.output,
    cached: next.cached || previous.cached,
    cacheWrite: next.cacheWrite || previous.cacheWrite,
    reasoning: next.reasoning || previous.reasoning,
  };
}

/** `upstream error mid-stream: <message>` from an {"error":{"message"}} body. */
export function midStreamErrorMessage(data: string): string {
  try {
    const body = JSON.parse(data) as { error?: { message?: unknown } };
    if (typeof body.error?.message === 'string') return `upstream error mid-stream: ${body.error.message}`;
  } catch { /* not JSON */ }
  return 'upstream error mid-stream';
}
