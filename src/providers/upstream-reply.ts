// What a transport hands back to the data path: a status, headers and a body
// to be read as it arrives. Both the network client and the in-process mock
// provider produce this, so the data path treats them alike.

export interface UpstreamReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The body as it arrives (streams, error bodies). */
  body: AsyncIterable<Uint8Array>;
  /**
   * The whole body as text (non-streamed replies). Past `maxBytes` (after any
   * decompression) the call is aborted and ReplyTooLargeError thrown: a
   * hostile upstream must not cost more memory than the bound.
   */
  text(maxBytes?: number): Promise<string>;
  /** Stops the upstream call and frees its socket (idempotent). */
  abort(): void;
}

/** A transport failure before any HTTP answer: decides the `timeout`/`network` outcome. */
export class TransportError extends Error {
  readonly kind: 'timeout' | 'network';
  constructor(kind: 'timeout' | 'network', message: string) {
    super(message);
    this.name = 'TransportError';
    this.kind = kind;
  }
}

/** A non-streamed reply over settings.upstream.max_reply_bytes. */
export class ReplyTooLargeError extends Error {
  constructor(limit: number) {
    super(`upstream reply is larger than the limit of ${limit} bytes (settings.upstream.max_reply_bytes)`);
    this.name = 'ReplyTooLargeError';
  }
}

export function headerValue(headers: UpstreamReply['headers'], name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}
