// Watches a same-protocol (pass-through) stream on its way to the caller,
// one SSE event at a time: picks up usage, notices the end and an error
// event, and drops the usage-only chunk the gateway asked for on the
// caller's behalf. Pure: no I/O, so recorded streams drive it in tests.
// (It still knows OpenAI and Anthropic event shapes; issue #17 moves that
// knowledge into the codecs.)

import type { Protocol, UsageExtractor, WireEvent } from '../formats/codec.ts';
import type { GatewayError, TokenUsage } from '../formats/ir.ts';
import { usageExtractorFor } from '../formats/registry.ts';

const FINISHED = /"finish_reason"\s*:\s*"/;

export class PassThroughScanner {
  /** Usage seen so far, merged across events (Anthropic reports input and output apart). */
  usage: TokenUsage | undefined;
  /** The stream reached an end the protocol recognizes: a clean close after this is complete. */
  sawEnd = false;
  /** An error the upstream itself sent mid-stream; already passed on to the client. */
  upstreamError: GatewayError | undefined;
  private sawDone = false;
  private readonly protocol: Protocol | 'openai-embeddings';
  private readonly stripUsage: boolean;
  private readonly scrub: (text: string) => string;
  private readonly extractUsage: UsageExtractor;

  /**
   * `stripUsage`: drop the usage-only chunk (the gateway added include_usage);
   * `scrub`: applied to every event forwarded (credential redaction).
   */
  constructor(protocol: Protocol | 'openai-embeddings', stripUsage: boolean, scrub: (text: string) => string = (text) => text) {
    this.protocol = protocol;
    this.stripUsage = stripUsage;
    this.scrub = scrub;
    this.extractUsage = usageExtractorFor(protocol);
  }

  /** Looks at one upstream event; returns the text to send the client ('' to send nothing). */
  event(event: WireEvent): string {
    if (event.data === '[DONE]') { this.sawEnd = true; this.sawDone = true; return 'data: [DONE]\n\n'; }
    // Some OpenAI-compatible servers close after the finish chunk without [DONE].
    if (this.protocol === 'openai-chat' && FINISHED.test(event.data)) this.sawEnd = true;
    if (this.protocol === 'anthropic' && event.event === 'message_stop') this.sawEnd = true;
    if (isPassThroughError(this.protocol, event)) {
      this.upstreamError = { status: 502, type: 'api_error', message: errorMessageOf(event.data) };
      this.sawEnd = true;
    }
    if (event.data.includes('"usage"')) {
      const found = this.extractUsage(event.data); // extractors take JSON text and ignore what is not JSON
      if (found) this.usage = mergeUsage(this.usage, found);
      if (this.stripUsage && isUsageOnlyChunk(event.data)) return '';
    }
    return this.scrub((event.event ? `event: ${event.event}\n` : '') + `data: ${event.data}\n\n`);
  }

  /** What a complete stream still owes the client at its end: OpenAI's [DONE], when the upstream left it out. */
  closing(): string {
    return this.protocol === 'openai-chat' && !this.sawDone ? 'data: [DONE]\n\n' : '';
  }
}

/** True when an OpenAI chunk carries only usage (choices empty): the one we strip. */
function isUsageOnlyChunk(data: string): boolean {
  return data.includes('"usage"') && /"choices"\s*:\s*\[\s*\]/.test(data);
}

/** Anthropic streams report input at message_start and output at message_delta. */
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

/** An error event in a same-protocol stream: OpenAI `data: {"error":…}`, Anthropic `event: error`. */
function isPassThroughError(protocol: string, event: WireEvent): boolean {
  if (protocol === 'anthropic') return event.event === 'error';
  return event.data.startsWith('{"error"');
}

function errorMessageOf(data: string): string {
  try {
    const body = JSON.parse(data) as { error?: { message?: unknown } };
    if (typeof body.error?.message === 'string') return `upstream error mid-stream: ${body.error.message}`;
  } catch { /* not JSON */ }
  return 'upstream error mid-stream';
}
