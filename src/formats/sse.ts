// Server-sent events on the wire: an incremental parser that hands back each
// event as soon as its terminating blank line arrives (so translated streams
// stay unbuffered), and the matching formatter for the events we send.
// Follows the WHATWG event-stream rules: lines end in \n, \r\n or \r; lines
// starting with ':' are comments; `data:` lines of one event join with \n;
// an event with no data is not dispatched; `id:` and `retry:` are ignored.
// Only at the very end is it lenient (see flush).

import type { WireEvent } from './codec.ts';

export class SseParser {
  private buffer = '';
  private dataLines: string[] = [];
  private eventName: string | undefined;
  private sawData = false;
  private started = false;
  /** A chunk ended in '\r': a '\n' opening the next chunk belongs to the same line break. */
  private pendingCarriageReturn = false;

  /** Feed the next piece of the stream; returns the events it completed. */
  feed(chunk: string): WireEvent[] {
    let text = chunk;
    if (!this.started && text.length > 0) {
      this.started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    if (this.pendingCarriageReturn && text.startsWith('\n')) text = text.slice(1);
    this.pendingCarriageReturn = false;
    this.buffer += text;

    const events: WireEvent[] = [];
    let start = 0;
    for (let i = 0; i < this.buffer.length; i++) {
      const code = this.buffer.charCodeAt(i);
      if (code !== 10 && code !== 13) continue;
      const line = this.buffer.slice(start, i);
      if (code === 13) {
        if (i + 1 < this.buffer.length) {
          if (this.buffer.charCodeAt(i + 1) === 10) i++;
        } else {
          this.pendingCarriageReturn = true;
        }
      }
      start = i + 1;
      const event = this.processLine(line);
      if (event) events.push(event);
    }
    this.buffer = this.buffer.slice(start);
    return events;
  }

  /** The stream ended. Unlike browsers, a last event missing its blank line is still
   *  dispatched: some servers close right after the final `data:` line. A torn JSON
   *  payload then fails loudly in the decoder instead of vanishing. */
  flush(): WireEvent[] {
    const events: WireEvent[] = [];
    if (this.buffer.length > 0) {
      const event = this.processLine(this.buffer);
      this.buffer = '';
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
    this.eventName = undefined;
    this.sawData = false;
    return event;
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
