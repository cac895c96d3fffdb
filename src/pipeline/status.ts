// Builds the /status report (and /ui) from the serving snapshot and the
// runtime state. Credentials appear only as pool indexes.

import type { Snapshot } from '../config/snapshot.ts';
import type { ConfigStore } from '../config/store.ts';
import type { StatusReport, TodayTotals } from '../telemetry/status-report.ts';
import type { Runtime } from './runtime.ts';

const iso = (ms: number) => new Date(ms).toISOString();

export function buildStatusReport(snapshot: Snapshot, store: ConfigStore, rt: Runtime, today: TodayTotals): StatusReport {
  const now = rt.clock();
  const targets = new Set<string>();
  for (const route of snapshot.routes.values()) {
    if (route.kind !== 'group') continue;
    for (const tier of route.tiers) for (const m of tier) targets.add(m.target);
  }
  const last = store.lastReload;
  const health = store.health;
  return {
    generated_at: iso(now),
    config: {
      version: snapshot.version,
      source: snapshot.source,
      origin: snapshot.origin,
      loaded_at: snapshot.loadedAt.toISOString(),
      last_reload: last ? { at: last.at.toISOString(), source: last.source, ok: last.ok, errors: [...last.errors] } : null,
      stale: health.stale,
      last_sync_at: health.lastSyncAt?.toISOString() ?? null,
      sync_error: health.failure ? { at: health.failure.at.toISOString(), message: health.failure.message } : null,
      rejected: health.rejected
        ? { version: health.rejected.version ?? null, at: health.rejected.at.toISOString(), errors: [...health.rejected.errors] }
        : null,
      fallback: health.fallback ? { ...health.fallback } : null,
    },
    providers: [...snapshot.providers.values()].map((p) => {
      const cooling = rt.credentials.coolingDown(p.name, now);
      return {
        name: p.name,
        type: p.type,
        base_url: p.baseUrl,
        models: [...p.models.keys()],
        credentials: p.credentials.map((_, index) => ({ index, cooling_down_until: cooling.has(index) ? iso(cooling.get(index)!) : null })),
      };
    }),
    members: [...targets].sort().map((target) => {
      const stats = rt.latency.get(target);
      const state = rt.breakers.state(target, now);
      return {
        target,
        circuit: state,
        open_until: state === 'closed' ? null : iso(rt.breakers.openUntil(target)),
        recent_latency_ms: stats ? Math.round(stats.latencyMs * 10) / 10 : null,
        recent_error_rate: stats ? Math.round(stats.errorRate * 1000) / 1000 : null,
      };
    }),
    groups: [...snapshot.routes.values()].filter((r) => r.kind === 'group').map((r) => ({
      name: r.name,
      strategy: r.strategy,
      policy: r.policy.name,
      members: r.tiers.flat().map((m) => ({ target: m.target, priority: m.priority, weight: m.weight })),
    })),
    today: today.view(),
  };
}
