// A real HTTP server on 127.0.0.1 (port 0) that answers each request with
// what a test's handler returns, writing a stream chunk by chunk so clients
// read it the way they would read the gateway. Shared by the format tests.

import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface LoopbackReply {
  status?: number;
  contentType: string;
  /** Written one write() at a time. */
  chunks: string[];
}

export interface LoopbackRequest {
  method: string;
  url: string;
  body: unknown;
}

export interface Loopback {
  baseUrl: string;
  requests: LoopbackRequest[];
  close(): Promise<void>;
}

export async function startLoopback(handle: (request: LoopbackRequest) => LoopbackReply): Promise<Loopback> {
  const requests: LoopbackRequest[] = [];
  const server: Server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (part: Buffer) => parts.push(part));
    req.on('end', () => {
      const text = Buffer.concat(parts).toString('utf8');
      const request: LoopbackRequest = { method: req.method ?? '', url: req.url ?? '', body: text === '' ? undefined : JSON.parse(text) };
      requests.push(request);
      let reply: LoopbackReply;
      try {
        reply = handle(request);
      } catch (error) {
        reply = { status: 599, contentType: 'text/plain', chunks: [String(error)] };
      }
      res.writeHead(reply.status ?? 200, { 'content-type': reply.contentType });
      for (const chunk of reply.chunks) res.write(chunk);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
