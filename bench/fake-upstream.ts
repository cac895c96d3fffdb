// A fake OpenAI-compatible upstream for the benchmark and the soak, run as its
// own process so it never shares an event loop with what is measured.
//
//   node bench/fake-upstream.ts [--port 0] [--host 127.0.0.1] [--chunks 20] [--gap-ms 2]
//   prints one JSON line {"port":N} on stdout when listening.
//
// POST /v1/chat/completions (also /chat/completions) answers by the requested model:
//   any model       a fixed small chat.completion, or N SSE chunks `--gap-ms` apart when "stream": true
//   *tools*         a tool-call reply (get_weather), JSON or streamed
//   *fail*          503 with an OpenAI error body (for failover)
//   *slow*          a long stream (200 chunks, 20 ms apart) for aborted-stream tests
// POST /v1/sink     accepts any body size, answers {"received_bytes":N}
// GET  /v1/models   the model list;  GET /stats  request counters (in flight, aborted, ...)
// Requests without an Authorization header get 401, like the real thing.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

export interface FakeUpstreamOptions {
  /** Content chunks per streamed reply. */
  chunks: number;
  /** Milliseconds between streamed chunks (0: all at once). */
  gapMs: number;
}

export interface FakeUpstreamStats {
  requests: number;
  inFlight: number;
  completed: number;
  aborted: number;
  receivedBytes: number;
}

const created = 1_700_000_000;
const usage = '{"prompt_tokens":12,"completion_tokens":9,"total_tokens":21}';

function chatCompletion(model: string): string {
  return `{"id":"chatcmpl-fake","object":"chat.completion","created":${created},"model":${JSON.stringify(model)},` +
    `"choices":[{"index":0,"message":{"role":"assistant","content":"Hello from the fake upstream."},"logprobs":null,"finish_reason":"stop"}],` +
    `"usage":${usage}}`;
}

function toolCallCompletion(model: string): string {
  return `{"id":"chatcmpl-fake-tools","object":"chat.completion","created":${created},"model":${JSON.stringify(model)},` +
    `"choices":[{"index":0,"message":{"role":"assistant","content":null,"tool_calls":[{"id":"call_fake_1","type":"function",` +
    `"function":{"name":"get_weather","arguments":"{\\"city\\":\\"Paris\\",\\"unit\\":\\"celsius\\"}"}}]},"logprobs":null,"finish_reason":"tool_calls"}],` +
    `"usage":{"prompt_tokens":42,"completion_tokens":18,"total_tokens":60}}`;
}

const streamHead = (model: string) => `{"id":"chatcmpl-fake","object":"chat.completion.chunk","created":${created},"model":${JSON.stringify(model)},"choices":[`;

/** The SSE events of one streamed reply, in order (without the final [DONE]). */
function streamEvents(model: string, chunks: number, tools: boolean, includeUsage: boolean): string[] {
  const head = streamHead(model);
  const events: string[] = [];
  if (tools) {
    events.push(`${head}{"index":0,"delta":{"role":"assistant","content":null,"tool_calls":[{"index":0,"id":"call_fake_1","type":"function","function":{"name":"get_weather","arguments":""}}]},"finish_reason":null}]}`);
    events.push(`${head}{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\\"city\\":\\"Paris\\","}}]},"finish_reason":null}]}`);
    events.push(`${head}{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"\\"unit\\":\\"celsius\\"}"}}]},"finish_reason":null}]}`);
    events.push(`${head}{"index":0,"delta":{},"finish_reason":"tool_calls"}]}`);
  } else {
    events.push(`${head}{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}`);
    for (let i = 0; i < chunks; i++) events.push(`${head}{"index":0,"delta":{"content":"tok${i} "},"finish_reason":null}]}`);
    events.push(`${head}{"index":0,"delta":{},"finish_reason":"stop"}]}`);
  }
  if (includeUsage) events.push(`${head}],"usage":${usage}}`);
  return events;
}

function readBody(req: IncomingMessage): Promise<{ text: string; bytes: number }> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let bytes = 0;
    req.on('data', (chunk: Buffer) => { parts.push(chunk); bytes += chunk.length; });
    req.on('end', () => resolve({ text: Buffer.concat(parts, bytes).toString('utf8'), bytes }));
    req.on('error', reject);
  });
}

function sendJson(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/** Creates (does not start) the fake upstream server; `stats` is live. */
export function createFakeUpstream(options: FakeUpstreamOptions): { server: Server; stats: FakeUpstreamStats } {
  const stats: FakeUpstreamStats = { requests: 0, inFlight: 0, completed: 0, aborted: 0, receivedBytes: 0 };

  const stream = (res: ServerResponse, events: string[], gapMs: number) => {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    let next = 0;
    let timer: NodeJS.Timeout | undefined;
    let finished = false;
    const finish = (aborted: boolean) => {
      if (finished) return;
      finished = true;
      stats.inFlight--;
      if (aborted) stats.aborted++; else stats.completed++;
    };
    res.on('close', () => {
      if (timer) clearTimeout(timer);
      finish(!res.writableFinished);
    });
    // The opening event and the first token go out together; later tokens `gapMs` apart.
    const writeSome = (count: number) => {
      let out = '';
      for (let i = 0; i < count && next < events.length; i++) out += `data: ${events[next++]}\n\n`;
      if (next >= events.length) {
        res.end(out + 'data: [DONE]\n\n');
        return;
      }
      res.write(out);
      timer = setTimeout(() => writeSome(1), gapMs);
    };
    if (gapMs <= 0) writeSome(events.length);
    else writeSome(2);
  };

  const server = createServer((req, res) => {
    stats.requests++;
    const path = (req.url ?? '/').split('?')[0]!;
    if (req.method === 'GET' && path === '/stats') return sendJson(res, 200, JSON.stringify(stats));
    if (req.method === 'GET' && path === '/healthz') return sendJson(res, 200, '{"ok":true}');
    if (!req.headers.authorization) {
      return sendJson(res, 401, '{"error":{"message":"missing API key","type":"invalid_request_error","code":"invalid_api_key"}}');
    }
    if (req.method === 'GET' && (path === '/v1/models' || path === '/models')) {
      return sendJson(res, 200, '{"object":"list","data":[{"id":"fake-chat","object":"model","created":1700000000,"owned_by":"bench"},' +
        '{"id":"fake-tools","object":"model","created":1700000000,"owned_by":"bench"}]}');
    }
    if (req.method !== 'POST') return sendJson(res, 404, '{"error":{"message":"not found","type":"invalid_request_error"}}');

    stats.inFlight++;
    readBody(req).then(({ text, bytes }) => {
      stats.receivedBytes += bytes;
      if (path === '/v1/sink' || path === '/sink') {
        stats.inFlight--; stats.completed++;
        return sendJson(res, 200, `{"received_bytes":${bytes}}`);
      }
      if (path !== '/v1/chat/completions' && path !== '/chat/completions') {
        stats.inFlight--; stats.completed++;
        return sendJson(res, 404, '{"error":{"message":"not found","type":"invalid_request_error"}}');
      }
      const model = /"model"\s*:\s*"([^"]*)"/.exec(text)?.[1] ?? 'fake-chat';
      if (model.includes('fail')) {
        stats.inFlight--; stats.completed++;
        return sendJson(res, 503, '{"error":{"message":"the fake upstream is failing on purpose","type":"server_error","code":"overloaded"}}');
      }
      const tools = model.includes('tools');
      if (/"stream"\s*:\s*true/.test(text)) {
        const includeUsage = /"include_usage"\s*:\s*true/.test(text);
        const slow = model.includes('slow');
        return stream(res, streamEvents(model, slow ? 200 : options.chunks, tools, includeUsage), slow ? 20 : options.gapMs);
      }
      stats.inFlight--; stats.completed++;
      return sendJson(res, 200, tools ? toolCallCompletion(model) : chatCompletion(model));
    }, () => {
      stats.inFlight--; stats.aborted++;
      res.destroy();
    });
  });
  // Longer than any client's idle timeout, so a pooled connection is never closed under a request.
  server.keepAliveTimeout = 120_000;
  server.headersTimeout = 121_000;
  server.requestTimeout = 0;
  return { server, stats };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '0' },
      host: { type: 'string', default: '127.0.0.1' },
      chunks: { type: 'string', default: '20' },
      'gap-ms': { type: 'string', default: '2' },
    },
  });
  const { server } = createFakeUpstream({ chunks: Number(values.chunks), gapMs: Number(values['gap-ms']) });
  await new Promise<void>((resolve) => server.listen(Number(values.port), values.host, resolve));
  process.stdout.write(JSON.stringify({ port: (server.address() as AddressInfo).port }) + '\n');
  process.on('SIGTERM', () => process.exit(0));
  process.on('SIGINT', () => process.exit(0));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) void main();
