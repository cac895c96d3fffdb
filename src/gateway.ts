// Composition root: loads the config (folder or git), builds the runtime,
// serves HTTP, follows reloads, and drains on shutdown. `switchyard serve`
// and the integration tests both start the gateway through startGateway().

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createRequestHandler } from './app.ts';
import { defaultTimeouts } from './config/compile.ts';
import type { SourceFollower, ReloadOutcome } from './config/source-follower.ts';
import type { Snapshot } from './config/snapshot.ts';
import { ConfigStore } from './config/store.ts';
import { watchConfigFolder, type ReloadHooks } from './config/watch.ts';
import { createLimiter, type Limiter } from './limits/index.ts';
import { SpendLedger } from './limits/spend-ledger.ts';
import { EventLoopDelay } from './overload/event-loop-delay.ts';
import { closeUpstreamPools } from './providers/http-client.ts';
import { Runtime } from './pipeline/runtime.ts';
import { noCredentials, CredentialRedactor } from './telemetry/credential-redactor.ts';
import { log, redactCredentialsInLogs, setLogLevel } from './telemetry/logger.ts';
import { configureMetrics, metrics } from './telemetry/metrics.ts';
import { createRecorder } from './telemetry/recorder.ts';
import { tracingConfigured } from './telemetry/request-tracer.ts';
import { TodayTotals } from './telemetry/status-report.ts';
import { UsageLog } from './telemetry/usage-log.ts';

export interface GatewayOptions {
  /** Config folder (file mode). */
  configDir?: string;
  git?: { url: string; branch?: string; path?: string; intervalS?: number; workDir?: string };
  host?: string;
  port?: number;
  /**
   * A second listener answering only /healthz and /readyz (anything else 404),
   * default env SWITCHYARD_HEALTH_PORT: a sidecar bound to loopback stays
   * unreachable from outside its pod while the kubelet's httpGet probes reach
   * this one on the pod IP, at no cost (no probe process is started).
   */
  healthPort?: number;
  /** Address of the health listener (default env SWITCHYARD_HEALTH_HOST, else 0.0.0.0). */
  healthHost?: string;
  /** Reload debounce for the folder watcher. */
  watchDebounceMs?: number;
  /** false: no folder watching (tests that swap snapshots themselves); reloads on demand still work. */
  watch?: boolean;
  /** How often an unreadable config folder is rescanned; default 5 s. */
  folderRetryMs?: number;
  /** Secret of the git push webhook (POST /-/hooks/git); default env SWITCHYARD_GIT_WEBHOOK_SECRET. */
  webhookSecret?: string;
  /** Epoch ms for circuit and credential cool-downs; tests pass one to move time instead of sleeping. */
  clock?: () => number;
  /** How often the spend checkpoint is brought up to date (default: env SWITCHYARD_SPEND_CHECKPOINT_MS, else 10 s). */
  spendCheckpointMs?: number;
  /**
   * The OTEL_* variables tracing reads (spec 7.3); default process.env. Tests
   * starting gateways in-process pass their own so each gets its own receiver.
   */
  otelEnv?: Readonly<Record<string, string | undefined>>;
}

export type GatewayPhase = 'starting' | 'ready' | 'draining';

export interface Gateway {
  url: string;
  port: number;
  store: ConfigStore;
  runtime: Runtime;
  server: Server;
  /** The health-only listener, when one was asked for. */
  healthServer?: Server;
  healthPort?: number;
  /** 'starting' until a valid config has loaded and the limits are set up; never down for a bad source. */
  readonly phase: GatewayPhase;
  /** Rescans the folder or fetches the branch now (SIGHUP, POST /-/reload). */
  reload(): Promise<ReloadOutcome>;
  /** Begins the graceful drain; resolves when every in-flight request ended or drain_ms passed. */
  shutdown(): Promise<void>;
}

function usageLogKey(s: Snapshot): string {
  const u = s.settings.usage;
  return `${resolve(u.dir)}|${u.enabled}|${u.flushMs}`;
}

/**
 * Starts serving whatever the config source holds: a valid config makes the
 * gateway ready before this resolves; an invalid or unreachable one leaves it
 * up but not ready (/healthz 200, /readyz 503 with the errors) until the
 * source offers a valid version.
 */
export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const store = new ConfigStore();
  const today = new TodayTotals();
  let usageLog: UsageLog | undefined;
  let usageKey = '';
  let phase: GatewayPhase = 'starting';
  let limiter: Limiter | undefined;
  metrics.followConfigSync(() => store.health);
  // Budget headroom per configured key with a budget, from the limit store (shared spend with Redis).
  metrics.followBudgets(async () => {
    const snapshot = store.current();
    if (!snapshot || !limiter) return [];
    const budgeted = [...snapshot.keysByName.values()].filter((k) => k.limits.budgetUsd !== undefined);
    const spent = await Promise.all(budgeted.map((k) => limiter!.spentUsd(k)));
    return budgeted.flatMap((k, i) => spent[i] === undefined ? [] : [[k.name, Math.max(0, k.limits.budgetUsd! - spent[i]!)] as const]);
  });

  // The watcher and git sync log each reload themselves; here they become metrics.
  const hooks: ReloadHooks = {
    onReload: (source, ok) => metrics.configReload(source, ok),
    onSyncError: (source) => metrics.configSyncError(source),
  };

  const recorder = createRecorder({
    usageLog: () => usageLog,
    today,
    keyLabel: () => store.current()?.settings.metrics.keyLabel ?? false,
    upstreamNameOf: (target) => store.current()?.routes.get(target)?.tiers[0]?.[0]?.model.upstreamName,
  });
  // Requests are admitted only once ready, and the limiter exists from then on.
  const live = new Runtime(recorder, { admit: (...args) => limiter!.admit(...args) }, options.clock);
  // Tracing: the SDK is imported only when an OTLP endpoint is configured; otherwise nothing of it loads.
  const otelEnv = options.otelEnv ?? process.env;
  if (tracingConfigured(otelEnv)) {
    const { startTracing } = await import('./telemetry/tracing.ts');
    live.tracer = await startTracing({ env: otelEnv, sampleRatio: () => store.current()?.settings.tracing.sampleRatio ?? 1 });
    log.info('tracing on: exporting spans over OTLP/HTTP');
  }

  // Everything that follows the serving snapshot: log redaction, metrics labels, usage log.
  let logRedactor = noCredentials;
  const applySnapshot = (snapshot: Snapshot) => {
    // Logs keep scrubbing a rotated-out credential too: a late line may still name it.
    logRedactor = new CredentialRedactor([...logRedactor.values, ...snapshot.redactor.values]);
    redactCredentialsInLogs(logRedactor);
    setLogLevel(snapshot.settings.log.level);
    configureMetrics({ keyLabel: snapshot.settings.metrics.keyLabel, routes: snapshot.routes });
    metrics.configLoaded(snapshot.version, snapshot.source, snapshot.loadedAt);
    // Every member gets a circuit series from the start, so "all circuits open" alerts see them all.
    for (const route of snapshot.routes.values()) {
      for (const m of route.tiers.flat()) {
        metrics.circuitState(m.provider.name, m.model.upstreamName, live.breakers.state(m.target) === 'open');
      }
    }
    const key = usageLogKey(snapshot);
    if (key !== usageKey) {
      const previous = usageLog;
      const u = snapshot.settings.usage;
      usageLog = new UsageLog({ dir: u.dir, flushMs: u.flushMs, enabled: u.enabled });
      usageKey = key;
      void previous?.close();
    }
  };

  // Limits: budgets resume from the usage log, so the process stays stateless:
  // from the spend checkpoint beside it plus the lines after it (spend-ledger.ts).
  // The limit store and the ledger follow the first valid config; a reload that
  // moves the usage folder takes effect for the checkpoint at the next start.
  let ledger: SpendLedger | undefined;
  let checkpointTimer: NodeJS.Timeout | undefined;
  const checkpoint = () => ledger ? ledger.catchUp().then(() => ledger!.save()) : Promise.resolve();
  let activation: Promise<void> | undefined;
  const activate = (first: Snapshot): Promise<void> => activation ??= (async () => {
    const limitSettings = first.settings.limits;
    const now = new Date();
    const started = performance.now();
    const recovered = await SpendLedger.open(first.settings.usage.dir, now);
    ledger = recovered.ledger;
    const spend = recovered.spend;
    const recoveredLedger = ledger;
    log.info('budget spend recovered', { from: recovered.fromCheckpoint ? 'checkpoint' : 'scan', keys: spend.size, ms: Math.round(performance.now() - started) });
    // A scan's result is kept at once, so the next start reads only what follows it.
    if (!recovered.fromCheckpoint) await recoveredLedger.save().catch((err: unknown) => log.warn('spend checkpoint not written', { err: err as Error }));
    limiter = await createLimiter({
      store: limitSettings.store,
      redisUrl: limitSettings.redisUrl,
      onRedisError: limitSettings.onRedisError,
      recoveredSpend: { asOf: now.getTime(), byKey: spend },
      hooks: { onRedisError: () => metrics.limitStoreError() },
    });
    const checkpointMs = options.spendCheckpointMs ?? (Number(process.env.SWITCHYARD_SPEND_CHECKPOINT_MS) || 10_000);
    checkpointTimer = setInterval(() => {
      checkpoint().catch((err: unknown) => log.warn('spend checkpoint not written', { dir: recoveredLedger.dir, err: err as Error }));
    }, checkpointMs);
    checkpointTimer.unref();
    if (phase === 'starting') phase = 'ready';
    log.info('ready', { config_version: store.current()?.version });
  })().catch((err: unknown) => {
    // Not ready, but up: tried again in a few seconds (e.g. Redis not reachable yet), or by the next valid version.
    activation = undefined;
    log.error('could not set up limits; not ready, retrying in 5 s', { error: err as Error });
    setTimeout(() => {
      const current = store.current();
      if (current && phase === 'starting') void activate(current);
    }, 5000).unref();
  });
  store.onSwap((next) => {
    applySnapshot(next);
    if (phase === 'starting') void activate(next);
  });

  // Initial load: folder or git. Neither throws for a bad or unreachable source.
  let source: SourceFollower;
  if (options.git) {
    const workDir = options.git.workDir ?? await mkdtemp(join(tmpdir(), 'switchyard-git-'));
    const { startGitSync } = await import('./config/git-sync.ts'); // simple-git only when serving from git
    source = await startGitSync({ ...options.git, workDir }, store, hooks);
  } else {
    const dir = options.configDir ?? './gateway.d';
    // Serve only once the watcher has scanned the folder and loaded it: an edit
    // made right after start (a key revoked) must not slip past it.
    const watcher = watchConfigFolder(dir, store, hooks, {
      debounceMs: options.watchDebounceMs, watch: options.watch !== false, loadAtStart: true, retryMs: options.folderRetryMs,
    });
    await watcher.ready;
    source = { reloadNow: () => watcher.reloadNow(), stop: () => watcher.close() };
  }
  if (activation) await activation;
  const first = store.current();
  if (!first) log.error('no valid config yet: serving /healthz and /metrics, not ready until the source offers a valid version');

  const webhookSecret = options.webhookSecret ?? process.env.SWITCHYARD_GIT_WEBHOOK_SECRET;
  const handler = createRequestHandler({
    store, runtime: live, today, phase: () => phase, eventLoopDelayMs: () => loopDelay.recentMs(),
    reload: () => source.reloadNow(),
    ...(options.git && webhookSecret ? { webhook: { secret: webhookSecret, sync: () => source.reloadNow() } } : {}),
  });
  const loopDelay = new EventLoopDelay();

  // Node itself bounds the request head (answering 408 and closing); the body
  // has the gateway's own deadline (http/body.ts), which answers in the
  // caller's protocol. requestTimeout backs both up for routes that read no body.
  const { requestHeadersMs, requestBodyMs } = first?.settings.timeouts ?? defaultTimeouts;
  const server = createServer({
    // Idle keep-alive must end before the head deadline could fire on an idle socket.
    keepAliveTimeout: Math.min(65_000, requestHeadersMs - 500),
    headersTimeout: requestHeadersMs,
    requestTimeout: requestHeadersMs + requestBodyMs + 5_000,
  }, handler);
  const listen = first?.settings.listen ?? { host: '0.0.0.0', port: 8080 };
  const host = options.host ?? process.env.SWITCHYARD_HOST ?? listen.host;
  const port = options.port ?? (process.env.PORT ? Number(process.env.PORT) : listen.port);
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => { server.off('error', reject); resolveListen(); });
  });
  const address = server.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${shownHost === '0.0.0.0' ? '127.0.0.1' : shownHost}:${address.port}`;
  log.info('switchyard serving', { address: `${shownHost}:${address.port}`, config_version: first?.version ?? null, ready: first !== undefined });

  const healthPortSetting = options.healthPort ?? (process.env.SWITCHYARD_HEALTH_PORT ? Number(process.env.SWITCHYARD_HEALTH_PORT) : undefined);
  let healthServer: Server | undefined;
  if (healthPortSetting !== undefined) {
    if (!Number.isInteger(healthPortSetting) || healthPortSetting < 0 || healthPortSetting > 65535) {
      throw new Error(`SWITCHYARD_HEALTH_PORT must be a port number, got '${process.env.SWITCHYARD_HEALTH_PORT}'`);
    }
    // Same handler, so /readyz means exactly what it means on the main port; nothing else passes.
    healthServer = createServer({ headersTimeout: 5_000, requestTimeout: 10_000, keepAliveTimeout: 5_000 }, (req, res) => {
      const path = (req.url ?? '').split('?')[0];
      if (req.method === 'GET' && (path === '/healthz' || path === '/readyz')) return void handler(req, res);
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"this listener serves /healthz and /readyz only"}');
    });
    const healthHost = options.healthHost ?? process.env.SWITCHYARD_HEALTH_HOST ?? '0.0.0.0';
    await new Promise<void>((resolveListen, reject) => {
      healthServer!.once('error', reject);
      healthServer!.listen(healthPortSetting, healthHost, () => { healthServer!.off('error', reject); resolveListen(); });
    });
    const healthAddress = healthServer.address() as AddressInfo;
    log.info('health listener (/healthz, /readyz only)', { address: `${healthAddress.address}:${healthAddress.port}` });
  }

  let shuttingDown: Promise<void> | undefined;
  const shutdown = () => {
    shuttingDown ??= (async () => {
      phase = 'draining';
      const drainMs = store.current()?.settings.shutdown.drainMs ?? 30_000;
      log.info('shutting down: draining in-flight requests', { in_flight: live.inFlight, drain_ms: drainMs });
      // Keep listening while draining: /readyz answers 503 (so load balancers stop
      // sending) and new model requests get a clear 503 instead of a refused connection.
      const deadline = Date.now() + drainMs;
      while (live.inFlight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
      if (live.inFlight > 0) log.warn('drain limit reached; closing remaining connections', { in_flight: live.inFlight });
      const closed = new Promise<void>((r) => server.close(() => r()));
      server.closeAllConnections();
      await closed;
      if (healthServer) {
        const healthClosed = new Promise<void>((r) => healthServer!.close(() => r()));
        healthServer.closeAllConnections();
        await healthClosed;
      }
      loopDelay.stop();
      await source.stop();
      await usageLog?.close();
      await activation;
      clearInterval(checkpointTimer);
      await checkpoint().catch((err: unknown) => log.warn('spend checkpoint not written at shutdown', { dir: ledger?.dir, err: err as Error }));
      await limiter?.close();
      await closeUpstreamPools();
      // Last: the drained requests' spans are exported before the process exits.
      await live.tracer?.shutdown().catch((err: unknown) => log.warn('spans not exported at shutdown', { err: err as Error }));
    })();
    return shuttingDown;
  };

  return {
    url, port: address.port, store, runtime: live, server, shutdown,
    ...(healthServer ? { healthServer, healthPort: (healthServer.address() as AddressInfo).port } : {}),
    get phase() { return phase; },
    reload: () => source.reloadNow(),
  };
}
