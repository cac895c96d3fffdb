// The metric table of the contract (spec section 5), as data for the tests:
// the registry must expose exactly these, and dashboards and alert rules may
// use only these (plus the process/Node.js default metrics).

import { readFileSync } from 'node:fs';
import path from 'node:path';

export type MetricType = 'counter' | 'gauge' | 'histogram';

export interface ContractMetric {
  type: MetricType;
  /** Label names without `key`. */
  labels: string[];
  /** True when the metric carries `key` with settings.metrics.key_label. */
  keyLabel: boolean;
}

/** The table of spec section 5, as written there. */
export const sectionFiveMetrics: Record<string, ContractMetric> = {
  switchyard_requests_total: { type: 'counter', labels: ['route', 'model', 'status'], keyLabel: true },
  switchyard_request_duration_seconds: { type: 'histogram', labels: ['route', 'model'], keyLabel: false },
  switchyard_time_to_first_token_seconds: { type: 'histogram', labels: ['route', 'model', 'provider'], keyLabel: false },
  switchyard_upstream_requests_total: { type: 'counter', labels: ['provider', 'upstream_model', 'outcome'], keyLabel: false },
  switchyard_upstream_duration_seconds: { type: 'histogram', labels: ['provider', 'upstream_model'], keyLabel: false },
  switchyard_failovers_total: { type: 'counter', labels: ['model', 'provider', 'reason'], keyLabel: false },
  switchyard_tokens_total: { type: 'counter', labels: ['model', 'provider', 'type'], keyLabel: true },
  switchyard_cost_usd_total: { type: 'counter', labels: ['model', 'provider'], keyLabel: true },
  switchyard_circuit_open: { type: 'gauge', labels: ['provider', 'upstream_model'], keyLabel: false },
  switchyard_in_flight_requests: { type: 'gauge', labels: ['route'], keyLabel: false },
  switchyard_overhead_seconds: { type: 'histogram', labels: ['route'], keyLabel: false },
  switchyard_rate_limited_total: { type: 'counter', labels: ['limit'], keyLabel: true },
  switchyard_config_reloads_total: { type: 'counter', labels: ['source', 'result'], keyLabel: false },
  switchyard_config_info: { type: 'gauge', labels: ['version', 'source'], keyLabel: false },
  switchyard_config_last_success_timestamp_seconds: { type: 'gauge', labels: [], keyLabel: false },
};

/** Every metric the contract names: the table, plus those named in later sections' prose. Dashboards and alerts may use these. */
export const contractMetrics: Record<string, ContractMetric> = {
  ...sectionFiveMetrics,
  // 7.2 Operability: config sync health
  switchyard_config_sync_errors_total: { type: 'counter', labels: ['source'], keyLabel: false },
  switchyard_config_last_sync_timestamp_seconds: { type: 'gauge', labels: [], keyLabel: false },
  switchyard_config_stale: { type: 'gauge', labels: [], keyLabel: false },
  // 7.4 Overload
  switchyard_shed_total: { type: 'counter', labels: ['route', 'reason'], keyLabel: false },
  // 7.3 Budget headroom: always by key (bounded by the keys with a budget_usd), whatever key_label says.
  switchyard_budget_remaining_usd: { type: 'gauge', labels: ['key'], keyLabel: false },
};

/**
 * The table as written in the spec, when the spec is reachable (the shared
 * folder sits beside the repository); undefined otherwise.
 */
export function specMetricTable(): Record<string, { type: string; labels: string[] }> | undefined {
  const candidates = [
    path.resolve(import.meta.dirname, '../../../shared/spec/switchyard.md'),
    '/work/shared/spec/switchyard.md',
  ];
  for (const file of candidates) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    const table: Record<string, { type: string; labels: string[] }> = {};
    for (const line of text.split('\n')) {
      const m = /^\|\s*`(switchyard_[a-z_]+)`\s*\|\s*(\w+)\s*\|(.*)\|\s*$/.exec(line);
      if (!m) continue;
      const labels = m[3]!
        .replace(/\([^)]*\)/g, '')
        .split(',')
        .map((l) => l.trim())
        .filter((l) => l !== '');
      table[m[1]!] = { type: m[2]!, labels };
    }
    return table;
  }
  return undefined;
}
