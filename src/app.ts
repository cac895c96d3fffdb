// The HTTP surface (spec section 3): express routes over the data path. Each
// request binds the snapshot that is current when it arrives and keeps it to
// the end, so a reload never changes the rules under a request in flight.

import express, { type Request, type Response } from 'express';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { defaultTimeouts } from './config/compile.ts';
import type { ReloadOutcome } from './config/source-follower.ts';
import type { Snapshot } from './config/snapshot.ts';
import type { ConfigStore } from './config/store.ts';
import { authenticate, presentedToken } from './http/auth.ts';
import { BodyError, RequestBody, parseJsonObject, readBody } from './http/body.ts';
import { cors } from './http/cors.ts';
import { verifyWebhook } from './http/git-webhook.ts';
import { gatewayError, type ErrorEncoder } from './http/errors.ts';
import {
  chatCompletionsRoute, embeddingsRoute, messagesRoute, ollamaChatRoute, ollamaEmbedRoute, ollamaGenerateRoute,
  ollamaLegacyEmbeddingsRoute, responsesRoute, routeForRequest, type InboundRoute,
} from './http/inbound-routes.ts';
import { renderStatusPage } from './http/ui-page.ts';
import { handleCountTokens } from './pipeline/count-tokens.ts';
import { Exchange, requestIdFrom } from './pipeline/exchange.ts';
import { handleModelRequest } from './pipeline/handle-model-request.ts';
import { sendError, sendJson } from './pipeline/respond.ts';
import { listModels, modelInfo } from './pipeline/model-list.ts';
import { modelEntry, modelListBody } from './formats/model-list.ts';
import type { Runtime } from './pipeline/runtime.ts';
import { buildStatusReport } from './pipeline/status.ts';
import { FormatError } from './formats/codec.ts';
import { anthropicInbound } from './formats/anthropic/index.ts';
import { encodeOllamaError, ollamaPsBody, ollamaShowBody, ollamaTagsBody, ollamaVersionBody } from './formats/ollama/index.ts';
import { encodeOpenAIChatError } from './formats/openai-chat/encode-openai-chat-error.ts';
import { shedReason, shedRetryAfterSeconds } from './overload/shed-decision.ts';
import { log } from './telemetry/logger.ts';
import { metrics, renderMetrics } from './telemetry/metrics.ts';
import type { TodayTotals } from './telemetry/status-report.ts';
import type { RouteName } from './telemetry/usage-record.ts';

export interface AppDeps {
  store: ConfigStore;
  runtime: Runtime;
  today: TodayTotals;
  /** Only 'ready' serves model requests; /readyz answers 503 otherwise. */
  phase: () => 'starting' | 'ready' | 'draining';
  /** Rescans the folder or fetches the branch now (POST /-/reload, admin keys). */
  reload: () => Promise<ReloadOutcome>;
  /** The git push webhook (POST /-/hooks/git); absent unless serving from git with a secret set. */
  webhook?: { secret: string; sync: () => Promise<ReloadOutcome> };
  /** The event loop's recent delay in ms (overload/event-loop-delay.ts); absent: never sheds on it. */
  eventLoopDelayMs?: () => number;
}

/** Request bodies at least this large take the scanned pass-through (no JSON.parse); smaller ones are parsed. */
const scanFromBytes = 16 * 1024;

/** How many config errors the unauthenticated /readyz shows (the rest are counted). */
const readyzErrorLines = 50;

type Handler<Req extends IncomingMessage = Request, Res extends ServerResponse = Response> =
  (ex: Exchange, req: Req, res: Res, signal: AbortSignal) => Promise<void>;
type NodeHandler = (req: IncomingMessage, res: ServerResponse) => void;
/** A model route on the fast path: plain Node objects, and the snapshot the dispatcher already read. */
type FastHandler = (req: IncomingMessage, res: ServerResponse, snapshot: Snapshot) => Promise<void>;

/**
 * The server's request handler. The model routes are the hot path: when no
 * per-request middleware is configured (CORS, request log), they are
 * dispatched by exact path from a Map, skipping express's router and its
 * request/response decoration; everything else goes through express.
 */
export function createRequestHandler(deps: AppDeps): NodeHandler {
  const { app, fastRoutes } = buildApp(deps);
  return (req, res) => {
    // The snapshot read here is the one the request keeps to its end.
    const snapshot = deps.store.current();
    if (snapshot && snapshot.settings.cors.origins.length === 0 && !snapshot.settings.log.requests) {
      const url = req.url ?? '';
      const q = url.indexOf('?');
      const handler = fastRoutes.get(`${req.method} ${q < 0 ? url : url.slice(0, q)}`);
      if (handler) {
        handler(req, res, snapshot).catch((err: unknown) => { log.error('request failed', { error: err as Error }); res.destroy(); });
        return;
      }
    }
    app(req, res);
  };
}

/** 200 when the newest version serves, 422 when it was rejected, 502 when the source could not be read. */
function reloadAnswer(outcome: ReloadOutcome): [number, { ok: boolean; version: string | null; errors: string[] }] {
  const status = outcome.ok ? 200 : outcome.unreachable ? 502 : 422;
  return [status, { ok: outcome.ok, version: outcome.version, errors: outcome.errors }];
}

function buildApp(deps: AppDeps): { app: express.Express; fastRoutes: Map<string, FastHandler> } {
  const fastRoutes = new Map<string, FastHandler>();
  const { store, runtime } = deps;
  const eventLoopDelayMs = deps.eventLoopDelayMs ?? (() => 0);
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.set('query parser', 'simple');

  // Every response carries x-request-id; routes that record a usage line set
  // their own (the same one the line holds), this covers the rest.
  app.use((req, res, next) => {
    res.setHeader('x-request-id', requestIdFrom(req.headers['x-request-id']));
    next();
  });

  // CORS follows the serving snapshot's settings; the middleware is built once per snapshot.
  const corsBySnapshot = new WeakMap<Snapshot, express.RequestHandler>();
  app.use((req, res, next) => {
    const snapshot = store.current();
    if (!snapshot || snapshot.settings.cors.origins.length === 0) return next();
    let middleware = corsBySnapshot.get(snapshot);
    if (!middleware) {
      const built = cors(snapshot.settings.cors);
      corsBySnapshot.set(snapshot, built);
      middleware = built;
    }
    middleware(req, res, next);
  });

  // settings.log.requests: one line per request, the path without its query
  // (the logger also scrubs /ollama/{key}).
  app.use((req, res, next) => {
    if (!store.current()?.settings.log.requests) return next();
    const started = performance.now();
    res.once('finish', () => {
      log.info('request', {
        method: req.method, path: req.path, status: res.statusCode,
        ms: Math.round((performance.now() - started) * 10) / 10, request_id: res.getHeader('x-request-id'),
      });
    });
    next();
  });

  app.get('/healthz', (_req, res) => { res.json({ status: 'ok' }); });
  app.get('/readyz', (_req, res) => {
    const snapshot = store.current();
    const phase = deps.phase();
    if (phase === 'draining') return void res.status(503).json({ status: 'draining' });
    const { failure, rejected } = store.health;
    if (phase === 'starting' || !snapshot) {
      const errors = failure ? [failure.message] : rejected?.errors ?? [];
      return void res.status(503).json({
        status: 'not ready',
        reason: failure ? 'the config source cannot be read' : rejected ? 'the config is invalid' : 'loading the config',
        errors: errors.slice(0, readyzErrorLines),
        ...(errors.length > readyzErrorLines ? { more_errors: errors.length - readyzErrorLines } : {}),
      });
    }
    // Stale still serves: the last good config is better than none, and /status says why.
    res.json({ status: 'ready', config_version: snapshot.version, config_stale: store.health.stale });
  });
  app.get('/metrics', async (req, res) => {
    const { contentType, body } = await renderMetrics(req.headers.accept);
    res.setHeader('content-type', contentType);
    res.end(body);
  });

  /**
   * Wraps an authenticated route: binds the snapshot, authenticates, counts
   * the request in flight, aborts upstream work when the client leaves, and
   * records the usage line when it ends.
   */
  const serveGuarded = <Req extends IncomingMessage, Res extends ServerResponse>(
    routeName: RouteName | null, encodeError: ErrorEncoder, handler: Handler<Req, Res>, options: { readsBody?: boolean; admin?: boolean; traceRoute?: string } = {},
  ) =>
    async (req: Req, res: Res, snapshot: Snapshot | undefined, pathToken: string | undefined): Promise<void> => {
      const requestId = typeof req.headers['x-request-id'] === 'string' ? req.headers['x-request-id'] : undefined;
      const phase = deps.phase();
      if (!snapshot || phase !== 'ready') {
        const message = phase === 'draining' ? 'the gateway is shutting down' : 'no valid config is loaded yet';
        const body = JSON.stringify(encodeError(gatewayError(503, message)));
        res.writeHead(503, {
          'content-type': 'application/json', 'content-length': Buffer.byteLength(body), connection: 'close', 'x-request-id': requestIdFrom(requestId),
        });
        res.end(body);
        return;
      }
      const ex = new Exchange(routeName ?? 'models', snapshot, requestId);
      res.setHeader('x-request-id', ex.requestId);
      // Overload (spec 7.4): decided before anything costly, the body above all;
      // the key is still looked up (one hash) so a known caller's refusal is in its usage.
      const shed = options.readsBody
        ? shedReason(snapshot.settings.overload, { inFlight: runtime.modelInFlight, eventLoopDelayMs: eventLoopDelayMs() })
        : undefined;
      if (shed) {
        metrics.shed(routeName ?? 'models', shed);
        const auth = authenticate(snapshot, presentedToken(req, pathToken));
        if (auth.ok) ex.key = auth.key;
        const message = shed === 'in_flight'
          ? `the gateway is at its limit of ${snapshot.settings.overload.maxInFlight} requests in flight; please try again in ${shedRetryAfterSeconds}s`
          : `the gateway is overloaded (event loop delayed beyond ${snapshot.settings.overload.maxEventLoopDelayMs} ms); please try again in ${shedRetryAfterSeconds}s`;
        // Connection: close, so the unread body is never read (Node would drain it to reuse the connection).
        sendError(res, ex, encodeError, gatewayError(503, message, 'overloaded'), { 'retry-after': String(shedRetryAfterSeconds), connection: 'close' });
        if (routeName && auth.ok) {
          runtime.recorder.started(routeName);
          runtime.recorder.finished(ex.toUsageLine());
        }
        return;
      }
      const auth = authenticate(snapshot, presentedToken(req, pathToken));
      if (!auth.ok) {
        sendError(res, ex, encodeError, gatewayError(401, auth.message, 'invalid_api_key'));
        return;
      }
      ex.key = auth.key;
      if (options.admin && !auth.key.admin) {
        sendError(res, ex, encodeError, gatewayError(403, `key '${auth.key.name}' is not an admin key; this endpoint needs a key with admin: true`, 'admin_required'));
        return;
      }
      // The key's concurrency slot is taken before the body is read: a key
      // cannot hold more connections open here than its limit, however slowly it sends.
      if (options.readsBody && !runtime.localConcurrency.enter(auth.key)) {
        runtime.recorder.rateLimited(auth.key.name, 'concurrency');
        sendError(res, ex, encodeError, gatewayError(429, `Rate limit reached for key '${auth.key.name}': ${auth.key.limits.concurrency} concurrent requests. Please try again in 1s.`, 'rate_limit_concurrency'), { 'retry-after': '1' });
        if (routeName) {
          // finished() takes the request off the in-flight gauge: it must have been put on it.
          runtime.recorder.started(routeName);
          runtime.recorder.finished(ex.toUsageLine());
        }
        return;
      }
      const controller = new AbortController();
      const onClose = () => { if (!res.writableFinished) controller.abort(); };
      res.on('close', onClose);
      if (routeName) runtime.recorder.started(routeName);
      if (options.traceRoute && routeName && runtime.tracer) {
        ex.trace = runtime.tracer.startRequest(routeName, options.traceRoute, req.headers, snapshot.settings.tracing.captureContent);
      }
      runtime.inFlight++;
      if (options.readsBody) runtime.modelInFlight++;
      try {
        await handler(ex, req, res, controller.signal);
      } catch (err) {
        if (err instanceof BodyError) {
          // A body that never finished arriving: answer, then close the connection it still holds.
          const extra: Record<string, string> = err.status === 408 ? { connection: 'close' } : {};
          if (err.status === 408) res.once('finish', () => req.destroy());
          sendError(res, ex, encodeError, gatewayError(err.status, err.message), extra);
        } else {
          log.error('request failed', { request_id: ex.requestId, route: routeName, error: err as Error });
          if (!res.headersSent) sendError(res, ex, encodeError, gatewayError(500, 'internal gateway error'));
          else { ex.error = 'internal gateway error'; res.destroy(); }
        }
      } finally {
        if (options.readsBody) {
          runtime.localConcurrency.leave(auth.key);
          runtime.modelInFlight--;
        }
        runtime.inFlight--;
        res.off('close', onClose);
        if (ex.status === 0) ex.status = res.statusCode;
        if (routeName) {
          const line = ex.toUsageLine();
          ex.trace?.end(line);
          runtime.recorder.finished(line, ex.trace?.sampledTraceId);
        }
      }
    };
  /** An express route: the snapshot current now, the key from an /ollama/{key}/ path. */
  const guarded = (routeName: RouteName | null, encodeError: ErrorEncoder, handler: Handler, options: { readsBody?: boolean; admin?: boolean } = {}) => {
    const serve = serveGuarded(routeName, encodeError, handler, options);
    return (req: Request, res: Response): Promise<void> =>
      serve(req, res, store.current(), typeof req.params?.key === 'string' ? req.params.key : undefined);
  };

  const bodyOf = (ex: Exchange, req: IncomingMessage) => readBody(req, ex.snapshot.settings.bodyLimitBytes, ex.snapshot.settings.timeouts.requestBodyMs);
  const modelRoute = (route: InboundRoute): Handler<IncomingMessage, ServerResponse> => async (ex, req, res, signal) => {
    const raw = await bodyOf(ex, req);
    ex.trace?.captureRequest(raw);
    // Where the route's pass-through reads its facts from a scan, a large body is
    // scanned, not parsed. Small bodies are parsed: measured, the scan saves
    // nothing on a few hundred bytes (JSON.parse is native) and half the CPU on
    // a 200 KB prompt.
    if (raw.length >= scanFromBytes && route.passThrough?.scannedFacts && !route.adaptRequest && !route.codec?.forRequest) {
      return handleModelRequest(runtime, ex, route, res, RequestBody.scanned(raw), signal, req.headers);
    }
    const parsed = parseJsonObject(raw);
    if (!route.adaptRequest) return handleModelRequest(runtime, ex, routeForRequest(route, parsed), res, RequestBody.parsed(raw, parsed), signal, req.headers);
    let body: Record<string, unknown>;
    try {
      body = route.adaptRequest(parsed);
    } catch (err) {
      if (err instanceof FormatError) throw new BodyError(err.status, err.message);
      throw err;
    }
    await handleModelRequest(runtime, ex, routeForRequest(route, body), res, RequestBody.parsed(Buffer.from(JSON.stringify(body)), body), signal, req.headers);
  };

  const register = (path: string, route: InboundRoute) => {
    const serve = serveGuarded(route.name, route.encodeError, modelRoute(route), { readsBody: true, traceRoute: path });
    app.post(path, (req: Request, res: Response) => serve(req, res, store.current(), typeof req.params?.key === 'string' ? req.params.key : undefined));
    // Exact paths only: /ollama/:key/... stays with express, which extracts the key.
    if (!path.includes(':')) fastRoutes.set(`POST ${path}`, (req, res, snapshot) => serve(req, res, snapshot, undefined));
  };
  register('/v1/chat/completions', chatCompletionsRoute);
  register('/chat/completions', chatCompletionsRoute);
  register('/v1/embeddings', embeddingsRoute);
  register('/v1/responses', responsesRoute);
  register('/v1/messages', messagesRoute);
  for (const prefix of ['', '/ollama/:key']) {
    register(`${prefix}/api/chat`, ollamaChatRoute);
    register(`${prefix}/api/generate`, ollamaGenerateRoute);
    register(`${prefix}/api/embed`, ollamaEmbedRoute);
    register(`${prefix}/api/embeddings`, ollamaLegacyEmbeddingsRoute);
    app.get(`${prefix}/api/tags`, guarded('ollama_tags', encodeOllamaError, async (ex, _req, res) => {
      sendJson(res, ex, 200, ollamaTagsBody(listModels(ex.snapshot, ex.key!).map((m) => ({ name: m.id }))));
    }));
    app.get(`${prefix}/api/ps`, guarded('ollama_tags', encodeOllamaError, async (ex, _req, res) => {
      sendJson(res, ex, 200, ollamaPsBody(listModels(ex.snapshot, ex.key!).map((m) => m.id)));
    }));
    app.post(`${prefix}/api/show`, guarded('models', encodeOllamaError, async (ex, req, res) => {
      const body = parseJsonObject(await bodyOf(ex, req));
      const name = typeof body.model === 'string' ? body.model : typeof body.name === 'string' ? body.name : '';
      ex.model = name;
      const route = ex.snapshot.routes.get(name);
      // Ollama's own wording for a model it does not have.
      if (!route) return sendError(res, ex, encodeOllamaError, gatewayError(404, `model '${name}' not found`, 'model_not_found'));
      if (!ex.key!.allowedRoutes.has(name)) return sendError(res, ex, encodeOllamaError, gatewayError(403, `key '${ex.key!.name}' may not use model '${name}'`, 'model_not_allowed'));
      const first = route.tiers[0]?.[0]?.model;
      sendJson(res, ex, 200, ollamaShowBody(name, { reasoning: first?.fit.reasoning ?? false }));
    }, { readsBody: true }));
    app.get(`${prefix}/api/version`, (_req, res) => { res.json(ollamaVersionBody()); });
  }

  app.post('/v1/messages/count_tokens', guarded('count_tokens', anthropicInbound.encodeError, async (ex, req, res, signal) => {
    const raw = await bodyOf(ex, req);
    await handleCountTokens(runtime, ex, res, raw, parseJsonObject(raw), signal, req.headers);
  }, { readsBody: true }));

  app.get('/v1/models', guarded('models', encodeOpenAIChatError, async (ex, _req, res) => {
    sendJson(res, ex, 200, modelListBody(listModels(ex.snapshot, ex.key!).map(modelInfo)));
  }));
  app.get('/v1/models/*id', guarded('models', encodeOpenAIChatError, async (ex, req, res) => {
    const raw = (req.params as Record<string, string | string[]>).id;
    const id = Array.isArray(raw) ? raw.join('/') : String(raw);
    ex.model = id;
    const route = ex.snapshot.routes.get(id);
    if (!route) return sendError(res, ex, encodeOpenAIChatError, gatewayError(404, `model '${id}' does not exist`, 'model_not_found'));
    if (!ex.key!.allowedRoutes.has(id)) return sendError(res, ex, encodeOpenAIChatError, gatewayError(403, `key '${ex.key!.name}' may not use model '${id}'`, 'model_not_allowed'));
    sendJson(res, ex, 200, modelEntry(modelInfo({ id, route })));
  }));

  app.get('/status', guarded(null, encodeOpenAIChatError, async (ex, _req, res) => {
    sendJson(res, ex, 200, buildStatusReport(ex.snapshot, store, runtime, deps.today));
  }, { admin: true }));
  app.post('/-/reload', guarded(null, encodeOpenAIChatError, async (ex, _req, res) => {
    sendJson(res, ex, ...reloadAnswer(await deps.reload()));
  }, { admin: true }));
  const webhook = deps.webhook;
  if (webhook) {
    app.post('/-/hooks/git', async (req, res) => {
      const deadlineMs = store.current()?.settings.timeouts.requestBodyMs ?? defaultTimeouts.requestBodyMs;
      const verdict = await verifyWebhook(req, webhook.secret, deadlineMs);
      if (!verdict.ok) return void res.status(verdict.status).json({ ok: false, error: verdict.message });
      // GitHub sends a ping when the hook is created: nothing to fetch.
      if (verdict.event === 'ping') return void res.json({ ok: true, event: 'ping' });
      const [status, body] = reloadAnswer(await webhook.sync());
      res.status(status).json(body);
    });
  }
  app.get('/ui', guarded(null, encodeOpenAIChatError, async (ex, _req, res) => {
    const html = renderStatusPage(buildStatusReport(ex.snapshot, store, runtime, deps.today));
    ex.status = 200;
    res.setHeader('content-type', 'text/html; charset=utf-8');
    res.setHeader('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'");
    res.end(html);
  }, { admin: true }));

  // Anything else: a 404 in the protocol the path suggests. The path is
  // echoed, but never the client key an /ollama/{key}/ path carries.
  app.use((req, res) => {
    const encodeError: ErrorEncoder = req.path.startsWith('/api/') || req.path.startsWith('/ollama/') ? encodeOllamaError
      : req.path.startsWith('/v1/messages') ? anthropicInbound.encodeError : encodeOpenAIChatError;
    const path = req.path.replace(/^\/ollama\/[^/]*/, '/ollama/{key}');
    res.status(404).json(encodeError(gatewayError(404, `no route for ${req.method} ${path}`)));
  });
  return { app, fastRoutes };
}
