// OpenTelemetry traces over OTLP/HTTP (spec 7.3). Loaded by gateway.ts with a
// dynamic import only when OTEL_EXPORTER_OTLP_ENDPOINT or
// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is set: unconfigured, none of the SDK is
// loaded and the data path holds no tracer at all.
//
// Spans: one SERVER span per model request, one CLIENT span per upstream
// attempt under it, with the GenAI semantic conventions and switchyard.*
// attributes. Contexts are passed explicitly (no global context manager, no
// async hooks): the request span is the parent of its attempts, and the
// caller's traceparent, when valid, is the parent of the request span.
//
// Never in a span unless settings.tracing.capture_content: the request or
// reply body, an upstream error body, error messages (which can echo either),
// or any header but traceparent. Key names are config names, not secrets.

import {
  DiagLogLevel, ROOT_CONTEXT, SpanKind, diag, SpanStatusCode, TraceFlags, defaultTextMapGetter, trace,
  type Attributes, type Context, type Span, type Tracer,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator, parseKeyPairsIntoRecord } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler, AlwaysOnSampler, BatchSpanProcessor, ParentBasedSampler, SamplingDecision, TraceIdRatioBasedSampler, TracerProvider,
  type Sampler, type SamplingResult, type SpanExporter,
} from '@opentelemetry/sdk-trace';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import type { IncomingHttpHeaders } from 'node:http';
import type { Member, ProviderType } from '../config/snapshot.ts';
import { log } from './logger.ts';
import type { AttemptTrace, Environment, RequestTrace, RequestTracer } from './request-tracer.ts';
import type { RouteName, UpstreamOutcome, UsageLine } from './usage-record.ts';

export { tracingConfigured } from './request-tracer.ts';

export interface ExporterSettings {
  url: string;
  protocol: 'http/protobuf' | 'http/json';
  headers: Record<string, string>;
}

/** The OTLP/HTTP exporter settings the OTEL_EXPORTER_OTLP_* variables describe (signal-specific ones win). */
export function exporterSettings(env: Environment): ExporterSettings {
  const specific = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim();
  // The generic endpoint is a base: the signal path is appended (OTLP exporter spec); the specific one is used as is.
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim() ?? '';
  const url = specific || `${base.replace(/\/+$/, '')}/v1/traces`;
  const protocol = (env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? env.OTEL_EXPORTER_OTLP_PROTOCOL ?? '').trim();
  if (protocol && protocol !== 'http/protobuf' && protocol !== 'http/json') {
    throw new Error(`OTEL_EXPORTER_OTLP_PROTOCOL '${protocol}' is not supported: use http/protobuf (default) or http/json`);
  }
  return {
    url,
    protocol: protocol === 'http/json' ? 'http/json' : 'http/protobuf',
    headers: {
      ...parseKeyPairsIntoRecord(env.OTEL_EXPORTER_OTLP_HEADERS),
      ...parseKeyPairsIntoRecord(env.OTEL_EXPORTER_OTLP_TRACES_HEADERS),
    },
  };
}

/**
 * Sampling for new traces follows settings.tracing.sample_ratio of the
 * serving snapshot (a reload changes it); a request continuing a caller's
 * trace keeps the caller's decision.
 */
class SettingsRatioSampler implements Sampler {
  private readonly byRatio = new Map<number, Sampler>();
  private readonly ratio: () => number;
  constructor(ratio: () => number) {
    this.ratio = ratio;
  }
  shouldSample(...args: Parameters<Sampler['shouldSample']>): SamplingResult {
    const ratio = this.ratio();
    if (ratio >= 1) return { decision: SamplingDecision.RECORD_AND_SAMPLED };
    if (!(ratio > 0)) return { decision: SamplingDecision.NOT_RECORD };
    let sampler = this.byRatio.get(ratio);
    if (!sampler) {
      sampler = new TraceIdRatioBasedSampler(ratio);
      if (this.byRatio.size > 16) this.byRatio.clear();
      this.byRatio.set(ratio, sampler);
    }
    return sampler.shouldSample(...args);
  }
  toString(): string {
    return `SettingsRatioSampler{${this.ratio()}}`;
  }
}

/** OTEL_TRACES_SAMPLER / OTEL_TRACES_SAMPLER_ARG when set (the SDK spec's names), else settings.tracing.sample_ratio. */
export function samplerFrom(env: Environment, ratio: () => number): Sampler {
  const name = env.OTEL_TRACES_SAMPLER?.trim().toLowerCase();
  const arg = Number(env.OTEL_TRACES_SAMPLER_ARG);
  const fixedRatio = Number.isFinite(arg) && arg >= 0 && arg <= 1 ? arg : 1;
  switch (name) {
    case undefined:
    case '':
      return new ParentBasedSampler({ root: new SettingsRatioSampler(ratio) });
    case 'always_on': return new AlwaysOnSampler();
    case 'always_off': return new AlwaysOffSampler();
    case 'traceidratio': return new TraceIdRatioBasedSampler(fixedRatio);
    case 'parentbased_always_on': return new ParentBasedSampler({ root: new AlwaysOnSampler() });
    case 'parentbased_always_off': return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio': return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(fixedRatio) });
    default:
      throw new Error(`OTEL_TRACES_SAMPLER '${name}' is not supported: use always_on, always_off, traceidratio or their parentbased_ forms`);
  }
}

/** gen_ai.provider.name: the GenAI semantic conventions' well-known values. */
const genAiProvider: Record<ProviderType, string> = {
  openai: 'openai',
  azure: 'azure.ai.openai',
  anthropic: 'anthropic',
  gemini: 'gcp.gemini',
  mock: 'switchyard.mock',
};

/** gen_ai.operation.name of an inbound route. */
function operationOf(route: RouteName): string {
  if (route === 'embeddings') return 'embeddings';
  if (route === 'ollama_generate') return 'text_completion';
  return 'chat';
}

const contentLimit = 16 * 1024;

class OtelRequestTrace implements RequestTrace {
  readonly sampledTraceId: string | undefined;
  private readonly context: Context;
  private attempts = 0;
  private providerType: ProviderType | undefined;
  private readonly tracer: Tracer;
  private readonly span: Span;
  private readonly route: RouteName;
  private readonly captureContent: boolean;

  constructor(tracer: Tracer, span: Span, route: RouteName, captureContent: boolean) {
    this.tracer = tracer;
    this.span = span;
    this.route = route;
    this.captureContent = captureContent;
    const sc = span.spanContext();
    this.sampledTraceId = (sc.traceFlags & TraceFlags.SAMPLED) !== 0 ? sc.traceId : undefined;
    this.context = trace.setSpan(ROOT_CONTEXT, span);
  }

  captureRequest(body: Buffer): void {
    if (!this.captureContent || !this.span.isRecording()) return;
    const text = body.subarray(0, contentLimit).toString('utf8');
    this.span.setAttribute('switchyard.request.body', text);
    if (body.length > contentLimit) this.span.setAttribute('switchyard.request.body_truncated', true);
  }

  startAttempt(member: Member, attempt: number): AttemptTrace {
    this.attempts = Math.max(this.attempts, attempt);
    this.providerType = member.provider.type;
    const operation = operationOf(this.route);
    const attributes: Attributes = {
      'gen_ai.operation.name': operation,
      'gen_ai.provider.name': genAiProvider[member.provider.type],
      'gen_ai.request.model': member.model.upstreamName,
      'switchyard.provider': member.provider.name,
      'switchyard.attempt': attempt,
    };
    const server = serverOf(member.provider.baseUrl);
    if (server) {
      attributes['server.address'] = server.address;
      if (server.port) attributes['server.port'] = server.port;
    }
    const span = this.tracer.startSpan(`${operation} ${member.model.upstreamName}`, { kind: SpanKind.CLIENT, attributes }, this.context);
    return new OtelAttemptTrace(span, member.model.upstreamName);
  }

  end(line: UsageLine): void {
    const span = this.span;
    if (span.isRecording()) {
      const operation = operationOf(this.route);
      if (line.model) span.updateName(`${operation} ${line.model}`);
      const attributes: Attributes = {
        'gen_ai.operation.name': operation,
        'http.response.status_code': line.status,
        'switchyard.attempt': this.attempts,
      };
      if (line.model) {
        attributes['gen_ai.request.model'] = line.model;
        attributes['switchyard.group'] = line.model;
      }
      if (line.key) attributes['switchyard.key'] = line.key;
      if (this.providerType) attributes['gen_ai.provider.name'] = genAiProvider[this.providerType];
      if (line.provider) attributes['switchyard.provider'] = line.provider;
      if (line.upstream_model) attributes['gen_ai.response.model'] = line.upstream_model;
      if (line.input_tokens > 0 || line.output_tokens > 0) {
        attributes['gen_ai.usage.input_tokens'] = line.input_tokens;
        attributes['gen_ai.usage.output_tokens'] = line.output_tokens;
      }
      if (line.ttft_ms !== null) attributes['switchyard.ttft_ms'] = line.ttft_ms;
      if (line.status >= 400) attributes['error.type'] = String(line.status);
      span.setAttributes(attributes);
      // HTTP server conventions: a 4xx is the caller's error, not the server's.
      if (line.status >= 500) {
        span.setStatus({ code: SpanStatusCode.ERROR, ...(this.captureContent && line.error ? { message: line.error } : {}) });
      }
    }
    span.end();
  }
}

class OtelAttemptTrace implements AttemptTrace {
  readonly traceparent: string;
  private readonly span: Span;
  private readonly upstreamModel: string;
  constructor(span: Span, upstreamModel: string) {
    this.span = span;
    this.upstreamModel = upstreamModel;
    const sc = span.spanContext();
    this.traceparent = `00-${sc.traceId}-${sc.spanId}-0${sc.traceFlags & TraceFlags.SAMPLED}`;
  }

  end(outcome: UpstreamOutcome, status: number | null): void {
    const span = this.span;
    if (span.isRecording()) {
      const attributes: Attributes = { 'switchyard.outcome': outcome };
      if (status !== null) attributes['http.response.status_code'] = status;
      if (outcome === 'ok') attributes['gen_ai.response.model'] = this.upstreamModel;
      else {
        // The status code when there is one (HTTP client conventions), else what went wrong: timeout, network, keyword.
        attributes['error.type'] = status !== null && status >= 400 ? String(status) : outcome;
        span.setStatus({ code: SpanStatusCode.ERROR });
      }
      span.setAttributes(attributes);
    }
    span.end();
  }
}

const servers = new Map<string, { address: string; port?: number } | null>();

/** server.address/port of a provider base URL (never its path or credentials), parsed once per URL. */
function serverOf(baseUrl: string | undefined): { address: string; port?: number } | null {
  if (!baseUrl) return null;
  let server = servers.get(baseUrl);
  if (server === undefined) {
    try {
      const u = new URL(baseUrl);
      server = { address: u.hostname, ...(u.port ? { port: Number(u.port) } : {}) };
    } catch {
      server = null;
    }
    if (servers.size > 1000) servers.clear();
    servers.set(baseUrl, server);
  }
  return server;
}

export interface TracingOptions {
  /** OTEL_* variables: process.env for `serve`, a record in tests. */
  env: Environment;
  /** settings.tracing.sample_ratio of the serving snapshot. */
  sampleRatio: () => number;
  /** For tests: an exporter instead of OTLP/HTTP. */
  exporter?: SpanExporter;
}

/** Builds the tracer: the OTLP/HTTP exporter the environment names, a batch processor, the sampler. */
export async function startTracing(options: TracingOptions): Promise<RequestTracer> {
  const { env } = options;
  // The SDK reports failed exports (collector down, timeouts, dropped spans) only through diag: into our log.
  const toLog = (message: string) => log.warn('tracing: ' + message);
  const quiet = () => undefined;
  diag.setLogger({ error: toLog, warn: toLog, info: quiet, debug: quiet, verbose: quiet }, DiagLogLevel.WARN);
  let exporter = options.exporter;
  if (!exporter) {
    const settings = exporterSettings(env);
    const config = { url: settings.url, headers: settings.headers };
    // Only the exporter in use is loaded.
    exporter = settings.protocol === 'http/json'
      ? new (await import('@opentelemetry/exporter-trace-otlp-http')).OTLPTraceExporter(config)
      : new (await import('@opentelemetry/exporter-trace-otlp-proto')).OTLPTraceExporter(config);
  }
  const delay = Number(env.OTEL_BSP_SCHEDULE_DELAY);
  const provider = new TracerProvider({
    resource: resourceFromAttributes({
      ...parseKeyPairsIntoRecord(env.OTEL_RESOURCE_ATTRIBUTES),
      [ATTR_SERVICE_NAME]: env.OTEL_SERVICE_NAME?.trim() || 'switchyard',
    }),
    sampler: samplerFrom(env, options.sampleRatio),
    spanProcessors: [new BatchSpanProcessor({ exporter, ...(Number.isFinite(delay) && delay > 0 ? { scheduledDelayMillis: delay } : {}) })],
  });
  const tracer = provider.getTracer('switchyard');
  const propagator = new W3CTraceContextPropagator();

  return {
    startRequest(route: RouteName, httpRoute: string, headers: IncomingHttpHeaders, captureContent: boolean): RequestTrace {
      const parent = headers.traceparent ? propagator.extract(ROOT_CONTEXT, headers, defaultTextMapGetter) : ROOT_CONTEXT;
      const span = tracer.startSpan(`POST ${httpRoute}`, {
        kind: SpanKind.SERVER,
        attributes: { 'http.request.method': 'POST', 'http.route': httpRoute, 'gen_ai.operation.name': operationOf(route) },
      }, parent);
      return new OtelRequestTrace(tracer, span, route, captureContent);
    },
    shutdown: () => provider.shutdown(),
  };
}
