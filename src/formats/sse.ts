// Server-sent events on the wire: an incremental parser that hands back each
// event as soon as its terminating blank line arrives (so translated streams
// stay unbuffered), and the matching formatter for the events we send.
// Follows the WHATWG event-stream rules: lines end in \n, \r\n or \r; lines
// starting with ':' are comments; `data:` lines of one event join with \n;
// an event with no data is not dispatched; `id:` and `retry:` are ignored.
// Only at the very end is it lenient (see flush).

import type { WireEvent } from './codec.ts';

/** An upstream line or event over the size limit: the stream is treated as broken. */
export class SseLimitError extends Error {
  constructor(limit: number) {
    super(`upstream stream sent a line or event longer than ${limit} characters`);
    this.name = 'SseLimitError';
  }
}

/** Default bound on one line and on one event's data (settings.upstream.max_event_bytes). */
export const DEFAULT_MAX_EVENT_CHARS = 16 * 1024 * 1024;

export class SseParser {
  /** Pieces of a line whose end has not arrived yet; joined once, when it does (linear, not rescanned per chunk). */
  private partial: string[] = [];
  private partialLength = 0;
  private dataLines: string[] = [];
  private dataLength = 0;
  private eventName: string | undefined;
  private sawData = false;
  private started = false;
  /** A chunk ended in '\r': a '\n' opening the next chunk belongs to the same line break. */
  private pendingCarriageReturn = false;
  private readonly maxChars: number;

  constructor(maxChars = DEFAULT_MAX_EVENT_CHARS) {
    this.maxChars = maxChars;
  }

  /**
   * Feed the next piece of the stream; returns the events it completed. Each
   * character is looked at once, so the cost is linear in the bytes read
   * however the stream is cut. Throws SseLimitError past the size bound.
   */
  feed(chunk: string): WireEvent[] {
    let text = chunk;
    if (!this.started && text.length > 0) {
      this.started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    if (this.pendingCarriageReturn && text.startsWith('\n')) text = text.slice(1);
    this.pendingCarriageReturn = false;

    const events: WireEvent[] = [];
    let start = 0;
    let nextCr = text.indexOf('\r');
    while (start < text.length) {
      const nextLf = text.indexOf('\n', start);
      if (nextCr !== -1 && nextCr < start) nextCr = text.indexOf('\r', start);
      const end = nextLf === -1 ? nextCr : nextCr === -1 ? nextLf : Math.min(nextLf, nextCr);
      if (end === -1) break;
      let piece = text.slice(start, end);
      if (this.partial.length > 0) {
        this.partial.push(piece);
        piece = this.partial.join('');
        this.partial = [];
        this.partialLength = 0;
      }
      if (piece.length > this.maxChars) throw new SseLimitError(this.maxChars);
      start = end + 1;
      if (end === nextCr) {
        if (start < text.length) {
          if (text.charCodeAt(start) === 10) start++;
        } else {
          this.pendingCarriageReturn = true;
        }
        nextCr = text.indexOf('\r', start);
      }
      const event = this.processLine(piece);
      if (event) events.push(event);
    }
    if (start < text.length) {
      this.partialLength += text.length - start;
      if (this.partialLength > this.maxChars) throw new SseLimitError(this.maxChars);
      this.partial.push(start === 0 ? text : text.slice(start));
    }
    return events;
  }

  /** The stream ended. Unlike browsers, a last event missing its blank line is still
   *  dispatched: some servers close right after the final `data:` line. A torn JSON
   *  payload then fails loudly in the decoder instead of vanishing. */
  flush(): WireEvent[] {
    const events: WireEvent[] = [];
    if (this.partial.length > 0) {
      const event = this.processLine(this.partial.join(''));
      this.partial = [];
      this.partialLength = 0;
      if (event) events.push(event);
    }
    const last = this.dispatch();
    if (last) events.push(last);
    return events;
  }

  private processLine(line: string): WireEvent | undefined {
    if (line === '') return this.dispatch();
    if (line.startsWith(':')) return undefined;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') {
      this.dataLength += value.length + 1;
      if (this.dataLength > this.maxChars) throw new SseLimitError(this.maxChars);
      this.dataLines.push(value);
      this.sawData = true;
    } else if (field === 'event') {
      this.eventName = value;
    }
    return undefined;
  }

  private dispatch(): WireEvent | undefined {
    const event: WireEvent | undefined = this.sawData
      ? this.eventName !== undefined && this.eventName !== ''
        ? { event: this.eventName, data: this.dataLines.join('\n') }
        : { data: this.dataLines.join('\n') }
      : undefined;
    this.dataLines = [];
    this.dataLength = 0;
    this.eventName = undefined;
    this.sawData = false;
    return event;
  }
}

/**
 * Upstream bytes to events: UTF-8 decoded across chunk edges (a character
 * cut in two waits for its second half), then parsed. Decoding and parsing
 * are two steps so a caller can look at the text (failure keywords) first.
 */
export class SseByteParser {
  private readonly decoder = new TextDecoder();
  private readonly parser: SseParser;

  constructor(maxChars = DEFAULT_MAX_EVENT_CHARS) {
    this.parser = new SseParser(maxChars);
  }

  /** The text of the next chunk; undefined: the stream ended (flushes a torn character as U+FFFD). */
  decode(chunk: Uint8Array | undefined): string {
    return chunk === undefined ? this.decoder.decode() : this.decoder.decode(chunk, { stream: true });
  }

  /** The events the text completes; `last`: also those the end of the stream completes. */
  parse(text: string, last = false): WireEvent[] {
    return last ? [...this.parser.feed(text), ...this.parser.flush()] : this.parser.feed(text);
  }
}

/** Parse a whole SSE text at once (tests, fixtures). */
export function parseSse(text: string): WireEvent[] {
  const parser = new SseParser();
  return [...parser.feed(text), ...parser.flush()];
}

/** One event as bytes: `event: NAME\n` (when named), one `data:` line per line of data, blank line. */
export function formatSse(event: string | undefined, data: string): string {
  const head = event === undefined ? '' : `event: ${event}\n`;
  const body = data.split(/\r\n|\r|\n/).map((line) => `data: ${line}\n`).join('');
  return `${head}${body}\n`;
}
