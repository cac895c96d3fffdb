// A real OTLP/HTTP trace receiver on loopback: what an OpenTelemetry
// Collector's otlphttp receiver accepts on POST /v1/traces, decoded into one
// plain span shape. http/json is the OTLP JSON mapping (hex ids, camelCase);
// http/protobuf is decoded from the wire format with the field numbers of
// opentelemetry/proto/trace/v1/trace.proto and common/v1/common.proto
// (https://github.com/open-telemetry/opentelemetry-proto), so the test does
// not trust the exporter's own serializer to read back what it wrote.

import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type AttributeValue = string | number | boolean | AttributeValue[] | undefined;

export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  /** '' for a root span. */
  parentSpanId: string;
  name: string;
  /** OTLP SpanKind: 2 SERVER, 3 CLIENT. */
  kind: number;
  attributes: Record<string, AttributeValue>;
  /** OTLP StatusCode: 0 unset, 1 ok, 2 error. */
  statusCode: number;
  statusMessage: string;
  resource: Record<string, AttributeValue>;
}

export interface OtlpReceiver {
  url: string;
  spans: ReceivedSpan[];
  /** Every export request's headers and content type. */
  requests: { path: string; headers: IncomingHttpHeaders }[];
  /** Connections ever accepted (0 proves nothing was exported). */
  connections(): number;
  /** Resolves when `count` spans have arrived (or rejects after `ms`). */
  waitForSpans(count: number, ms?: number): Promise<ReceivedSpan[]>;
  close(): Promise<void>;
}

export const SPAN_KIND_SERVER = 2;
export const SPAN_KIND_CLIENT = 3;

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const requests: OtlpReceiver['requests'] = [];
  const sockets = new Set<Socket>();
  let accepted = 0;
  const waiters: (() => void)[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      requests.push({ path: req.url ?? '', headers: req.headers });
      const type = req.headers['content-type'] ?? '';
      try {
        spans.push(...(type.includes('json') ? fromJson(JSON.parse(body.toString('utf8'))) : fromProtobuf(body)));
      } catch (err) {
        res.writeHead(400).end(String(err));
        return;
      }
      // An empty ExportTraceServiceResponse is a full success in both encodings.
      if (type.includes('json')) res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      else res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
      for (const w of waiters.splice(0)) w();
    });
  });
  server.on('connection', (s: Socket) => { accepted++; sockets.add(s); s.on('close', () => sockets.delete(s)); });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    spans,
    requests,
    connections: () => accepted,
    async waitForSpans(count, ms = 10_000) {
      const deadline = Date.now() + ms;
      while (spans.length < count) {
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`expected ${count} spans, received ${spans.length}`);
        await new Promise<void>((r) => { waiters.push(r); setTimeout(r, Math.min(left, 100)); });
      }
      return spans;
    },
    close: () => new Promise<void>((r) => { for (const s of sockets) s.destroy(); server.close(() => r()); }),
  };
}

// ---- http/json -------------------------------------------------------------------------------

function jsonValue(v: any): AttributeValue {
  if (!v) return undefined;
  if ('stringValue' in v) return v.stringValue;
  if ('boolValue' in v) return v.boolValue;
  if ('intValue' in v) return Number(v.intValue);
  if ('doubleValue' in v) return Number(v.doubleValue);
  if ('arrayValue' in v) return (v.arrayValue.values ?? []).map(jsonValue);
  return undefined;
}

function jsonAttributes(list: any[] | undefined): Record<string, AttributeValue> {
  return Object.fromEntries((list ?? []).map((kv: any) => [kv.key, jsonValue(kv.value)]));
}

function fromJson(body: any): ReceivedSpan[] {
  const out: ReceivedSpan[] = [];
  for (const rs of body.resourceSpans ?? []) {
    const resource = jsonAttributes(rs.resource?.attributes);
    for (const ss of rs.scopeSpans ?? []) {
      for (const s of ss.spans ?? []) {
        out.push({
          traceId: s.traceId, spanId: s.spanId, parentSpanId: s.parentSpanId ?? '', name: s.name, kind: s.kind,
          attributes: jsonAttributes(s.attributes), statusCode: s.status?.code ?? 0, statusMessage: s.status?.message ?? '', resource,
        });
      }
    }
  }
  return out;
}

// ---- http/protobuf ---------------------------------------------------------------------------

type Field = { no: number; wire: number; value: bigint | Buffer };

/** The fields of one protobuf message, in order (varint, fixed64, length-delimited, fixed32). */
function fields(buf: Buffer): Field[] {
  const out: Field[] = [];
  let i = 0;
  const varint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const b = buf[i++]!;
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
    }
  };
  while (i < buf.length) {
    const tag = Number(varint());
    const no = tag >>> 3;
    const wire = tag & 7;
    if (wire === 0) out.push({ no, wire, value: varint() });
    else if (wire === 1) { out.push({ no, wire, value: buf.subarray(i, i + 8) }); i += 8; }
    else if (wire === 2) { const len = Number(varint()); out.push({ no, wire, value: buf.subarray(i, i + len) }); i += len; }
    else if (wire === 5) { out.push({ no, wire, value: buf.subarray(i, i + 4) }); i += 4; }
    else throw new Error(`unsupported wire type ${wire}`);
  }
  return out;
}

const all = (fs: Field[], no: number) => fs.filter((f) => f.no === no).map((f) => f.value);
const bytes = (fs: Field[], no: number) => (all(fs, no)[0] as Buffer | undefined) ?? Buffer.alloc(0);
const text = (fs: Field[], no: number) => bytes(fs, no).toString('utf8');
const int = (fs: Field[], no: number) => Number((all(fs, no)[0] as bigint | undefined) ?? 0n);

/** AnyValue: string 1, bool 2, int 3, double 4, array 5. */
function protoValue(buf: Buffer): AttributeValue {
  const f = fields(buf)[0];
  if (!f) return undefined;
  switch (f.no) {
    case 1: return (f.value as Buffer).toString('utf8');
    case 2: return f.value !== 0n;
    case 3: return Number(BigInt.asIntN(64, f.value as bigint));
    case 4: return (f.value as Buffer).readDoubleLE(0);
    case 5: return all(fields(f.value as Buffer), 1).map((v) => protoValue(v as Buffer));
    default: return undefined;
  }
}

/** KeyValue: key 1, value 2. */
function protoAttributes(list: (bigint | Buffer)[]): Record<string, AttributeValue> {
  return Object.fromEntries(list.map((kv) => {
    const f = fields(kv as Buffer);
    return [text(f, 1), protoValue(bytes(f, 2))];
  }));
}

/** ExportTraceServiceRequest.resource_spans 1 -> resource 1 (attributes 1), scope_spans 2 -> spans 2. */
function fromProtobuf(body: Buffer): ReceivedSpan[] {
  const out: ReceivedSpan[] = [];
  for (const rs of all(fields(body), 1)) {
    const rsf = fields(rs as Buffer);
    const resource = protoAttributes(all(fields(bytes(rsf, 1)), 1));
    for (const ss of all(rsf, 2)) {
      for (const sp of all(fields(ss as Buffer), 2)) {
        // Span: trace_id 1, span_id 2, parent_span_id 4, name 5, kind 6, attributes 9, status 15 (message 2, code 3).
        const s = fields(sp as Buffer);
        const status = fields(bytes(s, 15));
        out.push({
          traceId: bytes(s, 1).toString('hex'), spanId: bytes(s, 2).toString('hex'), parentSpanId: bytes(s, 4).toString('hex'),
          name: text(s, 5), kind: int(s, 6), attributes: protoAttributes(all(s, 9)), statusCode: int(status, 3), statusMessage: text(status, 2), resource,
        });
      }
    }
  }
  return out;
}
