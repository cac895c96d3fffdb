// The contracts between the data path and the wire formats. A codec is pure:
// no I/O, no clock except where an id or `created` needs one. Stream codecs
// are small objects made per request that own their stream state.

import type { ChatRequest, ChatResponse, GatewayError, StreamEvent, TokenUsage } from './ir.ts';
import type { JsonObjectScan } from './shared/json-scan.ts';

/** The wire protocols the gateway speaks. */
export type Protocol = 'openai-chat' | 'openai-responses' | 'anthropic' | 'gemini' | 'ollama-chat' | 'ollama-generate';

/** One server-sent event as parsed off the wire (or one NDJSON line in `data`). */
export interface WireEvent {
  event?: string;
  data: string;
}

/** Thrown by decoders for input the gateway must refuse with a 400 in the caller's protocol. */
export class FormatError extends Error {
  readonly status: number;
  constructor(message: string, status = 400) {
    super(message);
    this.name = 'FormatError';
    this.status = status;
  }
}

/**
 * The few facts routing needs from a caller's request, read by the caller's
 * codec so the pipeline names no wire field. Never throws: the body is not
 * validated yet (decodeRequest does that, when a translation needs it).
 */
export interface RequestFacts {
  /** The requested group or provider/model; undefined when absent or not a string. */
  model: string | undefined;
  stream: boolean;
  /** Who the caller says the end user is (OpenAI `user`, Anthropic metadata.user_id): sticky routing. */
  user: string | undefined;
  /** The caller wants usage reported in its stream (always, where the protocol always reports it). */
  includeUsage: boolean;
  /** The conversation's opening (system text and first turns): what sticky routing hashes. */
  opening: unknown;
}

/**
 * Same-protocol (pass-through) traffic: the caller's bytes go upstream as
 * sent apart from `model`, and the reply comes back as sent, watched for
 * usage, its end and errors.
 */
export interface PassThroughCodec {
  /** The caller's body addressed to `upstreamModel`; on a stream, asking for usage where the protocol must be asked. */
  rewriteRequest(raw: Buffer, body: Record<string, unknown>, upstreamModel: string, facts: RequestFacts): Buffer;
  /**
   * The request facts from a scan of the body (shared/json-scan.ts), so a
   * pass-through request is never parsed whole. Absent: the protocol reads
   * its facts from the parsed body only.
   */
  scannedFacts?(raw: Buffer, scan: JsonObjectScan): RequestFacts;
  /** rewriteRequest from a scan; undefined when unsure (then rewriteRequest, on the parsed body, decides). */
  rewriteScanned?(raw: Buffer, scan: JsonObjectScan, upstreamModel: string, facts: RequestFacts): Buffer | undefined;
  /** Usage in a reply body (JSON text or parsed). */
  replyUsage: UsageExtractor;
  /** A fresh scanner for one streamed reply to a caller whose request said `facts`. */
  createStreamScanner(facts: RequestFacts): PassThroughStreamScanner;
}

/** Watches one same-protocol stream on its way to the caller. Pure: recorded streams drive it in tests. */
export interface PassThroughStreamScanner {
  /** One upstream event -> the text to send the caller ('' to send nothing). */
  event(event: WireEvent): string;
  /** What a complete stream still owes the caller at its end (OpenAI's [DONE] when the upstream left it out). */
  closing(): string;
  /** Usage seen so far. */
  readonly usage: TokenUsage | undefined;
  /** The stream reached an end the protocol recognizes. */
  readonly sawEnd: boolean;
  /** An error the upstream sent mid-stream; already passed on to the caller. */
  readonly upstreamError: GatewayError | undefined;
}

/** How a caller's protocol is read and answered. */
export interface InboundCodec {
  protocol: Protocol;
  /** The facts routing needs, without decoding the whole request. */
  requestFacts(body: Record<string, unknown>): RequestFacts;
  /** Present where a provider speaks this protocol too. */
  passThrough?: PassThroughCodec;
  /** Parsed JSON body -> IR. Throws FormatError for unusable input. */
  decodeRequest(body: unknown): ChatRequest;
  /** IR reply -> the caller's JSON body. `model` is what the caller asked for. */
  encodeResponse(response: ChatResponse, model: string): unknown;
  /** A fresh encoder for one streamed reply. */
  createStreamEncoder(model: string, options: { includeUsage: boolean }): StreamEncoder;
  /** The caller's error body. */
  encodeError(error: GatewayError): unknown;
  /** Content-Type of streamed replies. */
  streamContentType: string;
  /** This codec bound to one request, for protocols whose replies repeat request
   *  parameters (Responses echoes tools, temperature...). Absent: replies depend
   *  on the reply alone. Never throws: the body is not validated yet. */
  forRequest?(body: Record<string, unknown>): InboundCodec;
}

export interface StreamEncoder {
  /** Bytes (text) to send for one event; '' when the event produces none yet. */
  encode(event: StreamEvent): string;
  /** Closing bytes after the last event of a successful stream (e.g. `data: [DONE]`). */
  end(): string;
  /** Bytes for an error after the first byte has gone out: never looks like success. */
  error(error: GatewayError): string;
}

/** How an upstream protocol is written and read. */
export interface UpstreamCodec {
  protocol: Protocol;
  /** IR -> the upstream JSON body, addressed to `upstreamModel`. For streams, ask for usage. */
  encodeRequest(request: ChatRequest, upstreamModel: string): Record<string, unknown>;
  /** Upstream JSON reply -> IR. Throws FormatError(502) on a body that is not a reply. */
  decodeResponse(body: unknown): ChatResponse;
  /** A fresh decoder for one upstream stream. */
  createStreamDecoder(): StreamDecoder;
  /** Upstream error body (parsed JSON, or text) -> neutral error, keeping the status. */
  decodeError(status: number, body: unknown): GatewayError;
}

export interface StreamDecoder {
  /** One upstream wire event -> zero or more IR events. Throws FormatError(502) on garbage. */
  decode(event: WireEvent): StreamEvent[];
  /** True once the upstream has signalled the end ([DONE], message_stop, done:true...). */
  readonly done: boolean;
}

/** Usage found in a same-protocol (pass-through) reply, for the usage log. */
export type UsageExtractor = (body: unknown) => TokenUsage | undefined;
