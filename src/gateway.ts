// Composition root: loads the config (folder or git), builds the runtime,
// serves HTTP, follows reloads, and drains on shutdown. `switchyard serve`
// and the integration tests both start the gateway through startGateway().

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createRequestHandler } from './app.ts';
import { formatConfigError, loadConfig } from './config/load.ts';
import type { Snapshot } from './config/snapshot.ts';
import { ConfigStore } from './config/store.ts';
import { watchConfigFolder } from './config/watch.ts';
import { createLimiter, type Limiter } from './limits/index.ts';
import { SpendLedger } from './limits/spend-ledger.ts';
import { EventLoopDelay } from './overload/event-loop-delay.ts';
import { closeUpstreamPools } from './providers/http-client.ts';
import { Runtime } from './pipeline/runtime.ts';
import { noCredentials, CredentialRedactor } from './telemetry/credential-redactor.ts';
import { log, redactCredentialsInLogs, setLogLevel } from './telemetry/logger.ts';
import { configureMetrics, metrics } from './telemetry/metrics.ts';
import { createRecorder } from './telemetry/recorder.ts';
import { TodayTotals } from './telemetry/status-report.ts';
import { UsageLog } from './telemetry/usage-log.ts';

export interface GatewayOptions {
  /** Config folder (file mode). */
  configDir?: string;
  git?: { url: string; branch?: string; path?: string; intervalS?: number; workDir?: string };
  host?: string;
  port?: number;
  /** Reload debounce for the folder watcher. */
  watchDebounceMs?: number;
  /** false: no folder watching (tests that swap snapshots themselves). */
  watch?: boolean;
  /** How often the spend checkpoint is brought up to date (default: env SWITCHYARD_SPEND_CHECKPOINT_MS, else 10 s). */
  spendCheckpointMs?: number;
}

export interface Gateway {
  url: string;
  port: number;
  store: ConfigStore;
  runtime: Runtime;
  server: Server;
  /** Begins the graceful drain; resolves when every in-flight request ended or drain_ms passed. */
  shutdown(): Promise<void>;
}

export class ConfigLoadError extends Error {
  readonly errors: readonly string[];
  constructor(errors: readonly string[]) {
    super(`config is invalid:\n${errors.join('\n')}`);
    this.errors = errors;
  }
}

function usageLogKey(s: Snapshot): string {
  const u = s.settings.usage;
  return `${resolve(u.dir)}|${u.enabled}|${u.flushMs}`;
}

export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const store = new ConfigStore();
  const today = new TodayTotals();
  let usageLog: UsageLog | undefined;
  let usageKey = '';
  let accepting = true;
  let runtime: Runtime | undefined;

  // The watcher and git sync log each reload themselves; here it becomes a metric.
  const onReload = (source: 'file' | 'git', ok: boolean) => metrics.configReload(source, ok);

  // Initial load: folder or git.
  let stopSource: () => Promise<void> = async () => undefined;
  if (options.git) {
    const workDir = options.git.workDir ?? await mkdtemp(join(tmpdir(), 'switchyard-git-'));
    const { startGitSync } = await import('./config/git-sync.ts'); // simple-git only when serving from git
    const sync = await startGitSync({ ...options.git, workDir }, store, { onReload });
    stopSource = () => sync.stop();
  } else {
    const dir = options.configDir ?? './gateway.d';
    const result = await loadConfig(dir, { checkSecrets: true });
    if (!result.ok) throw new ConfigLoadError(result.errors.map(formatConfigError));
    store.swap(result.snapshot);
    if (options.watch !== false) {
      const watcher = watchConfigFolder(dir, store, { onReload }, { debounceMs: options.watchDebounceMs });
      // Serve only once the watcher has scanned the folder: an edit made right
      // after start (a key revoked) must not slip past it.
      await watcher.ready;
      stopSource = () => watcher.close();
    }
  }
  const first = store.current()!;
  setLogLevel(first.settings.log.level);

  // Everything that follows the serving snapshot: log redaction, metrics labels, usage log.
  let logRedactor = noCredentials;
  const applySnapshot = (snapshot: Snapshot) => {
    // Logs keep scrubbing a rotated-out credential too: a late line may still name it.
    logRedactor = new CredentialRedactor([...logRedactor.values, ...snapshot.redactor.values]);
    redactCredentialsInLogs(logRedactor);
    configureMetrics({ keyLabel: snapshot.settings.metrics.keyLabel, routes: snapshot.routes });
    metrics.configLoaded(snapshot.version, snapshot.source, snapshot.loadedAt);
    // Every member gets a circuit series from the start, so "all circuits open" alerts see them all.
    for (const route of snapshot.routes.values()) {
      for (const m of route.tiers.flat()) {
        metrics.circuitState(m.provider.name, m.model.upstreamName, runtime?.breakers.state(m.target) === 'open');
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
  applySnapshot(first);
  store.onSwap(applySnapshot);

  // Limits: budgets resume from the usage log, so the process stays stateless:
  // from the spend checkpoint beside it plus the lines after it (spend-ledger.ts).
  // The ledger follows the usage folder of the first config; a reload that moves
  // it takes effect for the checkpoint at the next start.
  const limitSettings = first.settings.limits;
  let limiter: Limiter;
  let ledger: SpendLedger;
  {
    const now = new Date();
    const started = performance.now();
    const recovered = await SpendLedger.open(first.settings.usage.dir, now);
    ledger = recovered.ledger;
    const spend = recovered.spend;
    log.info('budget spend recovered', { from: recovered.fromCheckpoint ? 'checkpoint' : 'scan', keys: spend.size, ms: Math.round(performance.now() - started) });
    // A scan's result is kept at once, so the next start reads only what follows it.
    if (!recovered.fromCheckpoint) await ledger.save().catch((err: unknown) => log.warn('spend checkpoint not written', { err: err as Error }));
    limiter = await createLimiter({
      store: limitSettings.store,
      redisUrl: limitSettings.redisUrl,
      onRedisError: limitSettings.onRedisError,
      recoveredSpend: { asOf: now.getTime(), byKey: spend },
      hooks: { onRedisError: () => metrics.limitStoreError() },
    });
  }

  const recorder = createRecorder({
    usageLog: () => usageLog,
    today,
    keyLabel: () => store.current()?.settings.metrics.keyLabel ?? false,
    upstreamNameOf: (target) => store.current()?.routes.get(target)?.tiers[0]?.[0]?.model.upstreamName,
  });
  const live = new Runtime(recorder, limiter);
  runtime = live;
  const checkpointMs = options.spendCheckpointMs ?? (Number(process.env.SWITCHYARD_SPEND_CHECKPOINT_MS) || 10_000);
  const checkpoint = () => ledger.catchUp().then(() => ledger.save());
  const checkpointTimer = setInterval(() => {
    checkpoint().catch((err: unknown) => log.warn('spend checkpoint not written', { dir: ledger.dir, err: err as Error }));
  }, checkpointMs);
  checkpointTimer.unref();
  const loopDelay = new EventLoopDelay();
  const handler = createRequestHandler({ store, runtime: live, today, accepting: () => accepting, eventLoopDelayMs: () => loopDelay.recentMs() });

  // Node itself bounds the request head (answering 408 and closing); the body
  // has the gateway's own deadline (http/body.ts), which answers in the
  // caller's protocol. requestTimeout backs both up for routes that read no body.
  const { requestHeadersMs, requestBodyMs } = first.settings.timeouts;
  const server = createServer({
    // Idle keep-alive must end before the head deadline could fire on an idle socket.
    keepAliveTimeout: Math.min(65_000, requestHeadersMs - 500),
    headersTimeout: requestHeadersMs,
    requestTimeout: requestHeadersMs + requestBodyMs + 5_000,
  }, handler);
  const host = options.host ?? process.env.SWITCHYARD_HOST ?? first.settings.listen.host;
  const port = options.port ?? (process.env.PORT ? Number(process.env.PORT) : first.settings.listen.port);
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => { server.off('error', reject); resolveListen(); });
  });
  const address = server.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${shownHost === '0.0.0.0' ? '127.0.0.1' : shownHost}:${address.port}`;
  log.info('switchyard serving', { address: `${shownHost}:${address.port}`, config_version: first.version, source: first.source });

  let shuttingDown: Promise<void> | undefined;
  const shutdown = () => {
    shuttingDown ??= (async () => {
      accepting = false;
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
      loopDelay.stop();
      await stopSource();
      await usageLog?.close();
      clearInterval(checkpointTimer);
      await checkpoint().catch((err: unknown) => log.warn('spend checkpoint not written at shutdown', { dir: ledger.dir, err: err as Error }));
      await limiter.close();
      await closeUpstreamPools();
    })();
    return shuttingDown;
  };

  return { url, port: address.port, store, runtime: live, server, shutdown };
}
