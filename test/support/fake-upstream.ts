// A fake provider on loopback: a real HTTP server whose behaviour each test
// scripts. Helpers write replies the way OpenAI, Anthropic and Gemini do, so
// the gateway is exercised against the real wire formats.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
  json: any;
}

export type FakeHandler = (req: RecordedRequest, res: ServerResponse) => void | Promise<void>;

export interface FakeUpstream {
  url: string;
  port: number;
  requests: RecordedRequest[];
  handle(handler: FakeHandler): void;
  /** Open TCP connections from the gateway right now. */
  openSockets(): number;
  close(): Promise<void>;
}

export async function startFakeUpstream(handler: FakeHandler = (_r, res) => openAIReply(res, 'hello')): Promise<FakeUpstream> {
  let current = handler;
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let json: unknown;
      try { json = body ? JSON.parse(body) : undefined; } catch { json = undefined; }
      const recorded: RecordedRequest = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body, json };
      requests.push(recorded);
      Promise.resolve(current(recorded, res)).catch(() => res.destroy());
    });
  });
  server.on('connection', (s: Socket) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    handle: (h) => { current = h; },
    openSockets: () => sockets.size,
    close: () => new Promise<void>((r) => { for (const s of sockets) s.destroy(); server.close(() => r()); }),
  };
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

export function openAICompletion(text: string, model = 'gpt-4o', usage = { prompt_tokens: 10, completion_tokens: 5 }): Record<string, unknown> {
  return {
    id: 'chatcmpl-fake', object: 'chat.completion', created: 1700000000, model,
    choices: [{ index: 0, message: { role: 'assistant', content: text, refusal: null }, finish_reason: 'stop', logprobs: null }],
    usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens },
  };
}

export function openAIReply(res: ServerResponse, text: string, usage?: { prompt_tokens: number; completion_tokens: number }): void {
  sendJson(res, 200, openAICompletion(text, 'gpt-4o', usage));
}

export function openAIError(res: ServerResponse, status: number, message: string, headers: Record<string, string> = {}): void {
  sendJson(res, status, { error: { message, type: status === 429 ? 'rate_limit_error' : 'server_error', code: null } }, headers);
}

export function chunk(model: string, delta: Record<string, unknown>, finish: string | null = null): string {
  return `data: ${JSON.stringify({ id: 'chatcmpl-fake', object: 'chat.completion.chunk', created: 1700000000, model, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
}

export function usageChunk(model: string, prompt: number, completion: number): string {
  return `data: ${JSON.stringify({ id: 'chatcmpl-fake', object: 'chat.completion.chunk', created: 1700000000, model, choices: [], usage: { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion } })}\n\n`;
}

export function startStream(res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  res.flushHeaders();
}

/** A complete OpenAI stream of `words`, with a usage chunk when the request asked for it. */
export function openAIStream(req: RecordedRequest, res: ServerResponse, words: string[], usage = { prompt: 10, completion: words.length }): void {
  startStream(res);
  res.write(chunk('gpt-4o', { role: 'assistant', content: '' }));
  for (const w of words) res.write(chunk('gpt-4o', { content: w }));
  res.write(chunk('gpt-4o', {}, 'stop'));
  if (req.json?.stream_options?.include_usage) res.write(usageChunk('gpt-4o', usage.prompt, usage.completion));
  res.end('data: [DONE]\n\n');
}
