// Test support for the wire-format codecs: captured fixtures, feeding an SSE
// text through the parser in small pieces (as a socket would), assembling IR
// stream events into what a user would see, and a loopback server for the SDK checks.

import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { StreamDecoder, StreamEncoder } from '../../../src/formats/codec.ts';
import type { FinishReason, StreamEvent, TokenUsage } from '../../../src/formats/ir.ts';
import { SseParser } from '../../../src/formats/sse.ts';
import type { WireEvent } from '../../../src/formats/codec.ts';

const root = new URL('../../fixtures/formats/', import.meta.url);

export function fixtureText(format: 'openai-chat' | 'anthropic' | 'gemini', name: string): string {
  return readFileSync(new URL(`${format}/${name}`, root), 'utf8');
}

export function fixtureJson(format: 'openai-chat' | 'anthropic' | 'gemini', name: string): Record<string, unknown> {
  return JSON.parse(fixtureText(format, name)) as Record<string, unknown>;
}

/** Parse an SSE text fed in pieces of `size` characters. */
export function sseEvents(text: string, size = 7): WireEvent[] {
  const parser = new SseParser();
  const events: WireEvent[] = [];
  for (let i = 0; i < text.length; i += size) events.push(...parser.feed(text.slice(i, i + size)));
  events.push(...parser.flush());
  return events;
}

/** Run a whole upstream stream through a decoder. */
export function decodeStream(decoder: StreamDecoder, text: string): StreamEvent[] {
  return sseEvents(text).flatMap((event) => decoder.decode(event));
}

/** Run IR events through an encoder the way the data path does. */
export function encodeStream(encoder: StreamEncoder, events: StreamEvent[]): string {
  return events.map((event) => encoder.encode(event)).join('') + encoder.end();
}

export interface AssembledReply {
  text: string;
  reasoning: string;
  signatures: string[];
  toolCalls: Array<{ id: string; name: string; arguments: string }>;
  usage?: TokenUsage;
  finish?: FinishReason;
  errors: Array<{ status: number; errorType?: string; message: string }>;
  starts: number;
}

export function assemble(events: StreamEvent[]): AssembledReply {
  const reply: AssembledReply = { text: '', reasoning: '', signatures: [], toolCalls: [], errors: [], starts: 0 };
  const byIndex = new Map<number, { id: string; name: string; arguments: string }>();
  for (const event of events) {
    switch (event.type) {
      case 'start': reply.starts++; break;
      case 'text': reply.text += event.text; break;
      case 'reasoning':
        reply.reasoning += event.text;
        if (event.signature) reply.signatures.push(event.signature);
        break;
      case 'tool_call_start': {
        const call = { id: event.id, name: event.name, arguments: '' };
        byIndex.set(event.index, call);
        reply.toolCalls.push(call);
        break;
      }
      case 'tool_call_delta': byIndex.get(event.index)!.arguments += event.arguments; break;
      case 'usage': reply.usage = event.usage; break;
      case 'finish': reply.finish = event.reason; break;
      case 'error': reply.errors.push({ status: event.status, errorType: event.errorType, message: event.message }); break;
    }
  }
  return reply;
}

export interface Loopback {
  url: string;
  requests: Array<{ path: string; body: unknown }>;
  close(): Promise<void>;
}

/** A loopback HTTP server answering every POST with `respond`, recording the request bodies. */
export async function startLoopback(respond: (body: Record<string, unknown>, res: ServerResponse) => void): Promise<Loopback> {
  const requests: Loopback['requests'] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => { text += chunk; });
    req.on('end', () => {
      const body = text === '' ? {} : JSON.parse(text) as Record<string, unknown>;
      requests.push({ path: req.url ?? '', body });
      respond(body, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/** Write SSE text the way a real server does: headers first, then the events in pieces. */
export function sendSse(res: ServerResponse, text: string): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  const pieces = text.split(/(?<=\n\n)/);
  for (const piece of pieces) res.write(piece);
  res.end();
}
