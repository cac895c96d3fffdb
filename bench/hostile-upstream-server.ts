// A hostile OpenAI-compatible upstream for `make bench-hostile`, in its own
// process so the gateway's measurements never share its event loop.
//
//   node bench/hostile-upstream-server.ts    prints {"port":N} when listening
//
// POST .../chat/completions answers by the requested model:
//   huge-reply   a valid chat.completion of 300 MB (chunked, no length)
//   long-line    an SSE stream whose first line is `data: ` + 50 MB, no newline
//   anything     a small valid reply (or stream)
// Each hostile reply stops when the gateway hangs up; GET /sent says how many
// bytes the last hostile reply wrote.

import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

let sent = 0;

/** Writes `total` bytes of `piece` after `head`, honouring backpressure, until done or the peer leaves. */
function pump(res: ServerResponse, head: string, total: number, tail: string): void {
  sent = 0;
  res.write(head);
  const piece = Buffer.alloc(256 * 1024, 0x61);
  const next = () => {
    while (sent < total && !res.destroyed) {
      sent += piece.length;
      if (!res.write(piece)) return void res.once('drain', next);
    }
    if (!res.destroyed) res.end(tail);
  };
  next();
}

const server = createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/sent') return void res.end(JSON.stringify({ sent }));
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { model: string; stream?: boolean };
    if (body.model === 'huge-reply') {
      res.writeHead(200, { 'content-type': 'application/json' });
      return pump(res, '{"id":"c","object":"chat.completion","created":1,"model":"huge-reply","choices":[{"index":0,"message":{"role":"assistant","content":"', 300 * 1024 * 1024, '"},"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}');
    }
    if (body.model === 'long-line') {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      return pump(res, 'data: ', 50 * 1024 * 1024, '\n\n');
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ id: 'c', object: 'chat.completion', created: 1, model: body.model, choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }], usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } }));
  });
});
server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: (server.address() as AddressInfo).port })));
