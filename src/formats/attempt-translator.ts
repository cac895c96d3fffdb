// One upstream attempt's translator (Envoy AI Gateway's translator-per-pair,
// over our canonical IR): made per attempt, owns the reply's stream state, and
// reports the usage it saw. Two kinds: IR translation (caller codec <-> IR <->
// upstream codec) and pass-through (same protocol: the reply goes out as sent,
// watched by the protocol's scanner). The pipeline drives either without
// knowing a wire format.

import type {
  InboundCodec, PassThroughCodec, PassThroughStreamScanner, RequestFacts, StreamDecoder, StreamEncoder, UpstreamCodec, WireEvent,
} from './codec.ts';
import { FormatError } from './codec.ts';
import type { GatewayError, TokenUsage } from './ir.ts';
import { parseIfText } from './shared/json-reader.ts';

export interface AttemptTranslator {
  readonly passThrough: boolean;
  /** Content-Type of the streamed reply the caller gets. */
  readonly streamContentType: string;
  /** A 2xx reply's text -> the caller's body. Throws FormatError(502) for a body that is not a reply. */
  reply(text: string): string;
  /**
   * An upstream error reply -> what the caller gets: a neutral error its codec
   * renders, or (pass-through, a JSON body) the upstream's text as sent.
   */
  upstreamError(status: number, text: string): { error: GatewayError } | { relay: string };
  /** One upstream stream event -> the caller's text ('' for none). */
  event(event: WireEvent): string;
  /** The closing text of a stream that completed. */
  end(): string;
  /** The text that ends a stream broken after its first byte: an error, never a clean end. */
  error(error: GatewayError): string;
  /** The stream reached an end its protocol recognizes. */
  readonly sawEnd: boolean;
  /** Usage the upstream reported (reply or stream). */
  readonly usage: TokenUsage | undefined;
  /** An error the upstream sent mid-stream, already passed on to the caller. */
  readonly upstreamStreamError: GatewayError | undefined;
}

/** The caller's side of an attempt. */
export interface CallerSide {
  /** Undefined where the route only passes through (embeddings): stream errors then end silently. */
  codec: InboundCodec | undefined;
  facts: RequestFacts;
  /** The model the caller asked for, echoed in translated replies. */
  model: string;
  /** A reply shape the route adapts pass-through replies to (Ollama embeddings). */
  adaptReply?: (reply: unknown, model: string) => unknown;
}

const unreadable = (message: string) => new FormatError(message, 502);

function parseReply(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw unreadable('upstream sent a body that is not JSON');
  }
}

/** Same protocol on both sides. */
export class PassThroughTranslator implements AttemptTranslator {
  readonly passThrough = true;
  readonly streamContentType = 'text/event-stream';
  private replyUsage: TokenUsage | undefined;
  private scanner: PassThroughStreamScanner | undefined;
  private encoder: StreamEncoder | undefined;
  private readonly codec: PassThroughCodec;
  private readonly upstream: UpstreamCodec;
  private readonly caller: CallerSide;

  constructor(codec: PassThroughCodec, upstream: UpstreamCodec, caller: CallerSide) {
    this.codec = codec;
    this.upstream = upstream;
    this.caller = caller;
  }

  reply(text: string): string {
    const parsed = parseReply(text);
    this.replyUsage = this.codec.replyUsage(parsed);
    return this.caller.adaptReply ? JSON.stringify(this.caller.adaptReply(parsed, this.caller.model)) : text;
  }

  upstreamError(status: number, text: string): { error: GatewayError } | { relay: string } {
    const parsed = parseIfText(text) ?? text; // plain-text errors stay text
    if (!this.caller.adaptReply && parsed && typeof parsed === 'object') return { relay: text };
    return { error: { ...this.upstream.decodeError(status, parsed), status } };
  }

  private get stream(): PassThroughStreamScanner {
    this.scanner ??= this.codec.createStreamScanner(this.caller.facts);
    return this.scanner;
  }

  event(event: WireEvent): string {
    return this.stream.event(event);
  }

  end(): string {
    return this.stream.closing();
  }

  error(error: GatewayError): string {
    this.encoder ??= this.caller.codec?.createStreamEncoder(this.caller.model, { includeUsage: this.caller.facts.includeUsage });
    return this.encoder ? this.encoder.error(error) : '';
  }

  get sawEnd(): boolean { return this.scanner?.sawEnd ?? false; }
  get upstreamStreamError(): GatewayError | undefined { return this.scanner?.upstreamError; }
  get usage(): TokenUsage | undefined { return this.scanner ? this.scanner.usage : this.replyUsage; }
}

/** Different protocols: through the IR. */
export class IrTranslator implements AttemptTranslator {
  readonly passThrough = false;
  readonly streamContentType: string;
  usage: TokenUsage | undefined;
  upstreamStreamError: GatewayError | undefined;
  private decoder: StreamDecoder | undefined;
  private encoder: StreamEncoder | undefined;
  private readonly codec: InboundCodec;
  private readonly upstream: UpstreamCodec;
  private readonly caller: CallerSide;

  constructor(codec: InboundCodec, upstream: UpstreamCodec, caller: CallerSide) {
    this.codec = codec;
    this.upstream = upstream;
    this.caller = caller;
    this.streamContentType = codec.streamContentType;
  }

  reply(text: string): string {
    const parsed = parseReply(text);
    let response;
    try {
      response = this.upstream.decodeResponse(parsed);
    } catch {
      throw unreadable('upstream reply could not be read');
    }
    this.usage = response.usage;
    return JSON.stringify(this.codec.encodeResponse(response, this.caller.model));
  }

  upstreamError(status: number, text: string): { error: GatewayError } {
    const parsed = parseIfText(text) ?? text;
    return { error: { ...this.upstream.decodeError(status, parsed), status } };
  }

  private get streamEncoder(): StreamEncoder {
    this.encoder ??= this.codec.createStreamEncoder(this.caller.model, { includeUsage: this.caller.facts.includeUsage });
    return this.encoder;
  }

  event(event: WireEvent): string {
    this.decoder ??= this.upstream.createStreamDecoder();
    const encoder = this.streamEncoder;
    let out = '';
    for (const ir of this.decoder.decode(event)) {
      if (ir.type === 'usage') this.usage = ir.usage;
      else if (ir.type === 'error') this.upstreamStreamError = { status: ir.status, ...(ir.errorType ? { type: ir.errorType } : {}), message: ir.message };
      out += encoder.encode(ir);
    }
    return out;
  }

  end(): string {
    return this.streamEncoder.end();
  }

  error(error: GatewayError): string {
    return this.streamEncoder.error(error);
  }

  get sawEnd(): boolean { return this.decoder?.done ?? false; }
}
