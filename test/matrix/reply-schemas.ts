// The providers' published reply schemas (test/fixtures/schemas/), compiled
// once with ajv, and the rules that say which schema a recorded reply, stream
// event or error body must satisfy, given the route that produced it.

import { readFileSync } from 'node:fs';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import { parse } from 'yaml';

export type Vendor = 'openai' | 'anthropic';

const FILES: Record<Vendor, URL> = {
  openai: new URL('../fixtures/schemas/openai/replies.yaml', import.meta.url),
  anthropic: new URL('../fixtures/schemas/anthropic/messages.yaml', import.meta.url),
};

/** One HTTP exchange as the client received it. */
export interface Exchange {
  method: string;
  /** The path, without the query. */
  path: string;
  status: number;
  contentType: string;
  body: string;
  /** What the test was doing, for failure messages. */
  label: string;
}

/** One object checked against one schema component. */
export interface Check {
  vendor: Vendor;
  component: string;
  value: unknown;
  /** Where the object came from: the exchange's label, and the event's position in a stream. */
  where: string;
}

export class ReplySchemas {
  private readonly ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true });
  private readonly validators = new Map<string, ValidateFunction>();
  private readonly ids = {} as Record<Vendor, string>;

  constructor() {
    // `components` holds the named schemas, reached by $ref as in an OpenAPI document;
    // `x-decision` records where the schema departs from its source, and why.
    this.ajv.addKeyword({ keyword: 'components' });
    this.ajv.addKeyword({ keyword: 'x-decision', schemaType: 'string' });
    for (const vendor of Object.keys(FILES) as Vendor[]) {
      const document = parse(readFileSync(FILES[vendor], 'utf8')) as { $id: string };
      this.ajv.addSchema(document);
      this.ids[vendor] = document.$id;
    }
  }

  /** The component's violations, each as "path: message"; empty when the value conforms. */
  violations(vendor: Vendor, component: string, value: unknown): string[] {
    const key = `${vendor}/${component}`;
    let validate = this.validators.get(key);
    if (!validate) {
      validate = this.ajv.compile({ $ref: `${this.ids[vendor]}#/components/schemas/${component}` });
      this.validators.set(key, validate);
    }
    if (validate(value)) return [];
    return summarize(validate.errors ?? []);
  }
}

/** oneOf failures repeat each branch's errors; keep the first few, distinct. */
function summarize(errors: ErrorObject[]): string[] {
  const lines = errors.map((e) => `${e.instancePath || '/'} ${e.message ?? e.keyword}${e.keyword === 'required' || e.keyword === 'const' || e.keyword === 'enum' ? ` ${JSON.stringify(e.params)}` : ''}`);
  return [...new Set(lines)].slice(0, 8);
}

/** One server-sent event: its `event:` name (if any) and its data. */
export interface SseEvent { event: string | undefined; data: string }

export function parseSse(text: string): SseEvent[] {
  const events: SseEvent[] = [];
  for (const block of text.split(/\r?\n\r?\n/)) {
    let event: string | undefined;
    const data: string[] = [];
    for (const line of block.split(/\r?\n/)) {
      if (line.startsWith('event:')) event = line.slice(6).trim();
      else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
    }
    if (data.length > 0) events.push({ event, data: data.join('\n') });
  }
  return events;
}

/** Responses stream events by their `type`: the events the gateway may send. */
const RESPONSES_EVENTS: Record<string, string> = {
  'response.created': 'ResponseCreatedEvent',
  'response.in_progress': 'ResponseInProgressEvent',
  'response.completed': 'ResponseCompletedEvent',
  'response.incomplete': 'ResponseIncompleteEvent',
  'response.failed': 'ResponseFailedEvent',
  'response.output_item.added': 'ResponseOutputItemAddedEvent',
  'response.output_item.done': 'ResponseOutputItemDoneEvent',
  'response.content_part.added': 'ResponseContentPartAddedEvent',
  'response.content_part.done': 'ResponseContentPartDoneEvent',
  'response.output_text.delta': 'ResponseTextDeltaEvent',
  'response.output_text.done': 'ResponseTextDoneEvent',
  'response.function_call_arguments.delta': 'ResponseFunctionCallArgumentsDeltaEvent',
  'response.function_call_arguments.done': 'ResponseFunctionCallArgumentsDoneEvent',
  'response.reasoning_summary_part.added': 'ResponseReasoningSummaryPartAddedEvent',
  'response.reasoning_summary_part.done': 'ResponseReasoningSummaryPartDoneEvent',
  'response.reasoning_summary_text.delta': 'ResponseReasoningSummaryTextDeltaEvent',
  'response.reasoning_summary_text.done': 'ResponseReasoningSummaryTextDoneEvent',
  error: 'ResponseErrorEvent',
};

/** Messages stream events by their `type`. */
const MESSAGES_EVENTS: Record<string, string> = {
  message_start: 'RawMessageStartEvent',
  message_delta: 'RawMessageDeltaEvent',
  message_stop: 'RawMessageStopEvent',
  content_block_start: 'RawContentBlockStartEvent',
  content_block_delta: 'RawContentBlockDeltaEvent',
  content_block_stop: 'RawContentBlockStopEvent',
  ping: 'PingEvent',
  error: 'ErrorResponse',
};

/** Plain (non-streamed) 2xx bodies by route. */
function plainComponent(method: string, path: string): { vendor: Vendor; component: string } | undefined {
  if (method === 'GET' && path === '/v1/models') return { vendor: 'openai', component: 'ListModelsResponse' };
  if (method === 'GET' && path.startsWith('/v1/models/')) return { vendor: 'openai', component: 'Model' };
  switch (path) {
    case '/v1/chat/completions': return { vendor: 'openai', component: 'CreateChatCompletionResponse' };
    case '/v1/responses': return { vendor: 'openai', component: 'Response' };
    case '/v1/embeddings': return { vendor: 'openai', component: 'CreateEmbeddingResponse' };
    case '/v1/messages': return { vendor: 'anthropic', component: 'Message' };
    case '/v1/messages/count_tokens': return { vendor: 'anthropic', component: 'MessageTokensCount' };
    default: return undefined;
  }
}

const errorVendor = (path: string): Vendor => (path.startsWith('/v1/messages') ? 'anthropic' : 'openai');

/**
 * The checks one exchange calls for. Problems that are not about a schema (a
 * body that is not JSON, an event named differently from its type, an event
 * type the gateway should not send) come back in `problems`.
 */
export function checksFor(exchange: Exchange): { checks: Check[]; problems: string[] } {
  const checks: Check[] = [];
  const problems: string[] = [];
  const { path, label } = exchange;
  const json = (text: string, where: string): unknown => {
    try {
      return JSON.parse(text);
    } catch {
      problems.push(`${where}: not JSON: ${text.slice(0, 120)}`);
      return undefined;
    }
  };

  if (exchange.status < 200 || exchange.status >= 300) {
    const value = json(exchange.body, label);
    if (value !== undefined) checks.push({ vendor: errorVendor(path), component: 'ErrorResponse', value, where: `${label} (HTTP ${exchange.status})` });
    return { checks, problems };
  }

  if (!exchange.contentType.startsWith('text/event-stream')) {
    const target = plainComponent(exchange.method, path);
    if (!target) problems.push(`${label}: no schema is known for ${exchange.method} ${path}`);
    const value = json(exchange.body, label);
    if (target && value !== undefined) checks.push({ ...target, value, where: label });
    return { checks, problems };
  }

  parseSse(exchange.body).forEach((event, index) => {
    const where = `${label}, event ${index}${event.event ? ` (${event.event})` : ''}`;
    if (path === '/v1/chat/completions') {
      if (event.data === '[DONE]') return;
      const value = json(event.data, where) as Record<string, unknown> | undefined;
      if (value === undefined) return;
      // A failure after the first byte is {"error": {...}}, which the openai SDKs raise.
      const component = 'error' in value ? 'ErrorResponse' : 'CreateChatCompletionStreamResponse';
      checks.push({ vendor: 'openai', component, value, where });
      return;
    }
    const value = json(event.data, where) as { type?: unknown } | undefined;
    if (value === undefined) return;
    const table = path === '/v1/responses' ? RESPONSES_EVENTS : MESSAGES_EVENTS;
    const type = String(value.type);
    const component = table[type];
    if (!component) {
      problems.push(`${where}: event type ${JSON.stringify(type)} is not one the gateway may send on ${path}`);
      return;
    }
    // Clients dispatch on the SSE event name; the SDKs on the data's type. Both must agree.
    if (event.event !== undefined && event.event !== type) problems.push(`${where}: SSE event name ${event.event} but data type ${type}`);
    checks.push({ vendor: path === '/v1/responses' ? 'openai' : 'anthropic', component, value, where });
  });
  return { checks, problems };
}
