import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { registry } from '../../src/telemetry/metrics.ts';
import { contractMetrics } from '../telemetry/contract-metrics.ts';
import { references, type Selector } from './promql-references.ts';

const root = path.resolve(import.meta.dirname, '../..');
const grafana = path.join(root, 'grafana');
const dashboardFiles = readdirSync(path.join(grafana, 'dashboards')).filter((f) => f.endsWith('.json'));
const rulesFile = path.join(grafana, 'alerts', 'switchyard-rules.yaml');

/**
 * Labels Prometheus adds to every scraped series; `namespace` where the
 * scrape config adds it (Kubernetes service discovery relabeling), absent
 * elsewhere, where the dashboards' `namespace=~".*"` still matches.
 */
const targetLabels = ['job', 'instance', 'namespace'];
/** Values a label may take where the contract fixes them. */
const enums: Record<string, string[]> = {
  outcome: ['ok', 'http_4xx', 'http_5xx', 'timeout', 'network', 'keyword'],
  type: ['input', 'output', 'cached', 'cache_write', 'reasoning'],
  limit: ['rpm', 'tpm', 'concurrency', 'budget'],
  source: ['file', 'git'],
  result: ['success', 'failure'],
  route: ['chat_completions', 'responses', 'messages', 'count_tokens', 'embeddings', 'models', 'ollama_chat', 'ollama_generate', 'ollama_tags'],
};

interface Panel {
  id: number;
  type: string;
  title: string;
  description?: string;
  gridPos: { x: number; y: number; w: number; h: number };
  datasource?: { type: string; uid: string };
  targets?: { expr: string; datasource?: { uid: string } }[];
  panels?: Panel[];
}
interface Dashboard {
  uid: string;
  title: string;
  panels: Panel[];
  templating: { list: { name: string; type: string; query: unknown; definition?: string }[] };
  annotations: { list: { expr?: string; name: string }[] };
}

function loadDashboard(file: string): Dashboard {
  return JSON.parse(readFileSync(path.join(grafana, 'dashboards', file), 'utf8')) as Dashboard;
}

function allPanels(panels: Panel[]): Panel[] {
  return panels.flatMap((p) => [p, ...allPanels(p.panels ?? [])]);
}

/** Non-contract metric families the registry exports (process and Node.js defaults), with their types. */
function defaultMetricFamilies(): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of registry.getMetricsAsArray()) {
    if (!m.name.startsWith('switchyard_')) out.set(m.name, String(m.type));
  }
  return out;
}

/** The labels a series named `name` may carry, or undefined when the name is not allowed. */
function labelsOf(name: string): string[] | undefined {
  const suffix = /_(bucket|sum|count)$/.exec(name);
  const contract = contractMetrics[name] ?? (suffix ? contractMetrics[name.slice(0, -suffix[0].length)] : undefined);
  if (contract) {
    if (contract.type !== 'histogram' && !contractMetrics[name]) return undefined; // _sum of a counter is not a series
    if (contract.type === 'histogram' && contractMetrics[name]) return undefined; // a histogram is queried by its series
    return [...contract.labels, ...(contract.keyLabel ? ['key'] : []), ...(suffix?.[1] === 'bucket' ? ['le'] : []), ...targetLabels];
  }
  if (name.startsWith('switchyard_')) return undefined;
  const defaults = defaultMetricFamilies();
  const family = defaults.has(name) ? name : suffix && defaults.get(name.slice(0, -suffix[0].length)) === 'histogram' ? name.slice(0, -suffix[0].length) : undefined;
  if (!family) return undefined;
  const metric = registry.getSingleMetric(family) as unknown as { labelNames?: string[] };
  return [...(metric.labelNames ?? []), ...(suffix?.[1] === 'bucket' ? ['le'] : []), ...targetLabels];
}

/** Asserts one expression names only allowed metrics, labels that exist, and enum values that exist. */
function checkExpression(expr: string, where: string): Selector[] {
  const refs = references(expr);
  expect(refs.selectors, `${where}: names no metric: ${expr}`).not.to.be.empty;
  const allowedGrouping = new Set<string>();
  for (const s of refs.selectors) {
    const labels = labelsOf(s.metric);
    expect(labels, `${where}: ${s.metric} is not a contract (or process/Node.js default) metric`).to.not.equal(undefined);
    for (const l of labels!) allowedGrouping.add(l);
    for (const m of s.matchers) {
      expect(labels, `${where}: ${s.metric} has no label ${m.label}`).to.include(m.label);
      const values = enums[m.label];
      if (values && (m.op === '=' || m.op === '!=')) expect(values, `${where}: ${m.label}="${m.value}"`).to.include(m.value);
      if (values && (m.op === '=~' || m.op === '!~') && /^[a-z_0-9]+(\|[a-z_0-9]+)*$/.test(m.value)) {
        for (const v of m.value.split('|')) expect(values, `${where}: ${m.label}=~"${m.value}"`).to.include(v);
      }
    }
  }
  for (const l of refs.groupingLabels) {
    expect([...allowedGrouping], `${where}: grouping label "${l}" exists on none of ${refs.selectors.map((s) => s.metric).join(', ')}`).to.include(l);
  }
  return refs.selectors;
}

function dashboardExpressions(d: Dashboard): { expr: string; where: string }[] {
  const out: { expr: string; where: string }[] = [];
  for (const p of allPanels(d.panels)) for (const t of p.targets ?? []) out.push({ expr: t.expr, where: `panel "${p.title}"` });
  for (const a of d.annotations.list) if (a.expr) out.push({ expr: a.expr, where: `annotation "${a.name}"` });
  return out;
}

function alertRules(): { alert?: string; record?: string; expr: string; labels?: Record<string, string>; annotations?: Record<string, string> }[] {
  const doc = YAML.parse(readFileSync(rulesFile, 'utf8')) as { groups: { rules: ReturnType<typeof alertRules> }[] };
  return doc.groups.flatMap((g) => g.rules);
}

function havePromtool(): boolean {
  return !spawnSync('promtool', ['--version']).error;
}

describe('the expression checker', () => {
  it('reads metrics, matchers and grouping labels', () => {
    const refs = references('sum by (model) (rate(switchyard_requests_total{model=~"$model",status=~"5.."}[$__rate_interval])) / max without (key) (switchyard_config_info) > 0.05');
    expect(refs.selectors.map((s) => s.metric)).to.deep.equal(['switchyard_requests_total', 'switchyard_config_info']);
    expect(refs.selectors[0]!.matchers).to.deep.equal([
      { label: 'model', op: '=~', value: '$model' },
      { label: 'status', op: '=~', value: '5..' },
    ]);
    expect(refs.groupingLabels).to.deep.equal(['model', 'key']);
    expect(refs.functions).to.deep.equal(['sum', 'rate', 'max']);
  });

  for (const bad of [
    'rate(switchyard_requests[5m])',
    'sum by (team) (rate(switchyard_requests_total[5m]))',
    'switchyard_upstream_requests_total{outcome="error"}',
    'switchyard_tokens_total{type=~"input|prompt"}',
    'switchyard_cost_usd_total_bucket',
    'switchyard_request_duration_seconds',
    'switchyard_usage_write_errors_total',
    'switchyard_circuit_open{model="x"}',
    '{__name__="switchyard_requests_total"}',
    'vector(1)',
  ]) {
    it(`rejects ${bad}`, () => {
      expect(() => checkExpression(bad, 'test')).to.throw();
    });
  }

  it('accepts histogram series, default metrics and target labels', () => {
    checkExpression('histogram_quantile(0.99, sum by (job, instance, le) (rate(switchyard_overhead_seconds_bucket[10m])))', 'test');
    checkExpression('rate(nodejs_gc_duration_seconds_sum[5m]) + process_resident_memory_bytes', 'test');
  });
});

describe('grafana dashboards', () => {
  it('ships at least the overview dashboard', () => {
    expect(dashboardFiles).to.include('switchyard-overview.json');
  });

  for (const file of dashboardFiles) {
    describe(file, () => {
      const dashboard = loadDashboard(file);

      it('every panel expression uses only contract metrics and their labels', () => {
        const exprs = dashboardExpressions(dashboard);
        expect(exprs.length).to.be.greaterThan(10);
        for (const { expr, where } of exprs) checkExpression(expr, where);
      });

      it('template variables query only contract metrics and labels', () => {
        for (const v of dashboard.templating.list.filter((t) => t.type === 'query')) {
          const query = typeof v.query === 'string' ? v.query : (v.query as { query: string }).query;
          const m = /^label_values\(\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*,\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\)$/.exec(query);
          expect(m, `variable ${v.name}: ${query}`).to.not.equal(null);
          expect(labelsOf(m![1]!), `variable ${v.name}`).to.include(m![2]!);
        }
      });

      it('uses every template variable in some panel expression (a variable nothing reads is a dead control)', () => {
        const text = dashboardExpressions(dashboard).map((e) => e.expr).join('\n');
        for (const v of dashboard.templating.list.filter((t) => t.type === 'query')) {
          expect(text, `variable ${v.name}`).to.include(`$${v.name}`);
        }
      });

      it('offers instance, namespace, provider, group (model) and key variables', () => {
        expect(dashboard.templating.list.map((t) => t.name)).to.include.members(['instance', 'namespace', 'provider', 'model', 'key']);
      });

      it('has unique panel ids and a grid without overlaps', () => {
        const panels = allPanels(dashboard.panels);
        expect(new Set(panels.map((p) => p.id)).size).to.equal(panels.length);
        const cells = new Map<string, string>();
        for (const p of panels) {
          const g = p.gridPos;
          expect(g.x + g.w, `panel "${p.title}" fits 24 columns`).to.be.at.most(24);
          for (let x = g.x; x < g.x + g.w; x++) {
            for (let y = g.y; y < g.y + g.h; y++) {
              const taken = cells.get(`${x},${y}`);
              expect(taken, `panel "${p.title}" overlaps "${taken}"`).to.equal(undefined);
              cells.set(`${x},${y}`, p.title);
            }
          }
        }
      });

      it('queries through the datasource variable so it imports into any Grafana', () => {
        expect(dashboard.templating.list.find((t) => t.name === 'datasource')).to.include({ type: 'datasource', query: 'prometheus' });
        for (const p of allPanels(dashboard.panels).filter((x) => x.type !== 'row')) {
          expect(p.datasource?.uid, `panel "${p.title}"`).to.equal('${datasource}');
        }
      });

      it('explains that per-key panels need key_label', () => {
        for (const p of allPanels(dashboard.panels)) {
          const usesKey = (p.targets ?? []).some((t) => references(t.expr).groupingLabels.includes('key'));
          if (usesKey) expect(p.description ?? '', `panel "${p.title}"`).to.include('key_label');
        }
      });
    });
  }

  it('together they cover every contract metric', () => {
    const used = new Set<string>();
    for (const file of dashboardFiles) {
      for (const { expr } of dashboardExpressions(loadDashboard(file))) {
        for (const s of references(expr).selectors) used.add(s.metric.replace(/_(bucket|sum|count)$/, ''));
      }
    }
    expect([...Object.keys(contractMetrics)].filter((m) => !used.has(m))).to.deep.equal([]);
  });

  it('show latency p50/p95/p99 and time to first token with histogram_quantile', () => {
    const exprs = dashboardFiles.flatMap((f) => dashboardExpressions(loadDashboard(f))).map((e) => e.expr);
    for (const q of ['0.5', '0.95', '0.99']) {
      expect(exprs.some((e) => e.startsWith(`histogram_quantile(${q},`) && e.includes('switchyard_request_duration_seconds_bucket')), `request p${q}`).to.equal(true);
      expect(exprs.some((e) => e.startsWith(`histogram_quantile(${q},`) && e.includes('switchyard_time_to_first_token_seconds_bucket')), `ttft p${q}`).to.equal(true);
    }
  });
});

describe('grafana provisioning', () => {
  it('provides a Prometheus datasource', () => {
    const doc = YAML.parse(readFileSync(path.join(grafana, 'provisioning/datasources/prometheus.yaml'), 'utf8')) as {
      apiVersion: number;
      datasources: { type: string; url: string; access: string }[];
    };
    expect(doc.apiVersion).to.equal(1);
    expect(doc.datasources).to.have.length(1);
    expect(doc.datasources[0]).to.include({ type: 'prometheus', access: 'proxy' });
    expect(doc.datasources[0]!.url).to.match(/^https?:\/\/|^\$/);
  });

  it('provides a file dashboard provider whose path the docs tell how to mount', () => {
    const doc = YAML.parse(readFileSync(path.join(grafana, 'provisioning/dashboards/switchyard.yaml'), 'utf8')) as {
      apiVersion: number;
      providers: { type: string; options: { path: string } }[];
    };
    expect(doc.apiVersion).to.equal(1);
    expect(doc.providers[0]!.type).to.equal('file');
    const mountPath = doc.providers[0]!.options.path;
    expect(mountPath).to.match(/^\//);
    expect(readFileSync(path.join(grafana, 'README.md'), 'utf8')).to.include(mountPath);
  });
});

describe('alert rules', () => {
  const rules = alertRules();

  it('alert on failing reloads, all circuits open and a high 5xx ratio', () => {
    const names = rules.map((r) => r.alert);
    expect(names).to.include.members([
      'SwitchyardConfigReloadFailing', 'SwitchyardConfigSyncFailing', 'SwitchyardConfigNotLoaded', 'SwitchyardConfigVersionSkew',
      'SwitchyardAllCircuitsOpen', 'SwitchyardHigh5xxRate',
    ]);
    for (const r of rules) {
      expect(r.labels?.severity, r.alert).to.be.oneOf(['warning', 'critical']);
      expect(r.annotations?.summary, r.alert).to.be.a('string');
    }
  });

  it('every rule expression uses only contract metrics and their labels', () => {
    for (const r of rules) checkExpression(r.expr, `rule ${r.alert ?? r.record}`);
  });

  it('pass promtool check rules', function () {
    if (!havePromtool()) {
      console.log('      promtool not installed (Debian package "prometheus"); skipping');
      this.skip();
    }
    const result = spawnSync('promtool', ['check', 'rules', rulesFile], { encoding: 'utf8' });
    expect(result.status, result.stdout + result.stderr).to.equal(0);
  });

  it('fire when they should and stay quiet when they should not (promtool test rules)', function () {
    if (!havePromtool()) {
      console.log('      promtool not installed (Debian package "prometheus"); skipping');
      this.skip();
    }
    const dir = mkdtempSync(path.join(os.tmpdir(), 'switchyard-rules-'));
    try {
      const test = {
        rule_files: [rulesFile],
        evaluation_interval: '1m',
        tests: [
          {
            interval: '1m',
            input_series: [
              // instance a: both members open; instance b: one still closed
              { series: 'switchyard_circuit_open{job="sy",instance="a",provider="openai",upstream_model="gpt-4o"}', values: '1x10' },
              { series: 'switchyard_circuit_open{job="sy",instance="a",provider="claude",upstream_model="claude-sonnet-4-5"}', values: '1x10' },
              { series: 'switchyard_circuit_open{job="sy",instance="b",provider="openai",upstream_model="gpt-4o"}', values: '1x10' },
              { series: 'switchyard_circuit_open{job="sy",instance="b",provider="claude",upstream_model="claude-sonnet-4-5"}', values: '0x10' },
              // Config: on a, a broken head lands at 2m and stays the head for over an hour (one
              // rejection counted, never retried); b keeps up; c's remote is unreachable from
              // 2m for 20 minutes; d never loaded a valid config. a serves an older version than b.
              { series: 'switchyard_config_reloads_total{job="sy",instance="a",source="git",result="failure"}', values: '0 0 1x80' },
              { series: 'switchyard_config_stale{job="sy",instance="a"}', values: '0 0 1x80' },
              { series: 'switchyard_config_sync_errors_total{job="sy",instance="a",source="git"}', values: '0x82' },
              { series: 'switchyard_config_info{job="sy",instance="a",version="v1",source="git"}', values: '1x82' },
              { series: 'switchyard_config_stale{job="sy",instance="b"}', values: '0x82' },
              { series: 'switchyard_config_sync_errors_total{job="sy",instance="b",source="git"}', values: '0x82' },
              { series: 'switchyard_config_info{job="sy",instance="b",version="v2",source="git"}', values: '1x82' },
              { series: 'switchyard_config_stale{job="sy",instance="c"}', values: '0 0 1x20 0x60' },
              { series: 'switchyard_config_sync_errors_total{job="sy",instance="c",source="git"}', values: '0 0 1+2x20 41x60' },
              { series: 'switchyard_config_info{job="sy",instance="c",version="v2",source="git"}', values: '1x82' },
              { series: 'switchyard_config_stale{job="sy",instance="d"}', values: '1x82' },
              { series: 'switchyard_config_sync_errors_total{job="sy",instance="d",source="git"}', values: '0x82' },
              // 10% of requests fail with 5xx on a, none on b
              { series: 'switchyard_requests_total{job="sy",instance="a",route="chat_completions",model="gpt-4-pool",status="502"}', values: '0+60x20' },
              { series: 'switchyard_requests_total{job="sy",instance="a",route="chat_completions",model="gpt-4-pool",status="200"}', values: '0+540x20' },
              { series: 'switchyard_requests_total{job="sy",instance="b",route="chat_completions",model="gpt-4-pool",status="200"}', values: '0+600x20' },
            ],
            alert_rule_test: [
              {
                eval_time: '5m',
                alertname: 'SwitchyardAllCircuitsOpen',
                exp_alerts: [
                  {
                    exp_labels: { severity: 'critical', job: 'sy', instance: 'a' },
                    exp_annotations: {
                      summary: "Switchyard a: every member's circuit is open",
                      description: 'All upstream members are being skipped; requests fail with 503 until a cooldown trial succeeds.',
                    },
                  },
                ],
              },
              // The broken head is still alerted on an hour later (the old rule cleared after 15 minutes).
              ...['10m', '70m'].map((at) => ({
                eval_time: at,
                alertname: 'SwitchyardConfigReloadFailing',
                exp_alerts: [
                  {
                    exp_labels: { severity: 'warning', job: 'sy', instance: 'a' },
                    exp_annotations: {
                      summary: 'Switchyard a: newest config rejected',
                      description: 'The newest config version was rejected; the last good one keeps serving. Run `switchyard validate` on it, or see /status (config.rejected) for the errors.',
                    },
                  },
                ],
              })),
              { eval_time: '4m', alertname: 'SwitchyardConfigReloadFailing', exp_alerts: [] },
              {
                eval_time: '15m',
                alertname: 'SwitchyardConfigSyncFailing',
                exp_alerts: [{
                  exp_labels: { severity: 'warning', job: 'sy', instance: 'c' },
                  exp_annotations: {
                    summary: 'Switchyard c: config source unreachable',
                    description: 'Fetching the git branch or reading the config folder keeps failing; the last good config keeps serving. See /status (config.sync_error).',
                  },
                }],
              },
              // Back since 22m: quiet again.
              { eval_time: '40m', alertname: 'SwitchyardConfigSyncFailing', exp_alerts: [] },
              {
                eval_time: '10m',
                alertname: 'SwitchyardConfigNotLoaded',
                exp_alerts: [{
                  exp_labels: { severity: 'critical', job: 'sy', instance: 'd' },
                  exp_annotations: {
                    summary: 'Switchyard d: no valid config loaded',
                    description: 'The instance started without a valid config and is not ready. /readyz lists the errors.',
                  },
                }],
              },
              { eval_time: '10m', alertname: 'SwitchyardConfigVersionSkew', exp_alerts: [] },
              {
                eval_time: '20m',
                alertname: 'SwitchyardConfigVersionSkew',
                exp_alerts: [{
                  exp_labels: { severity: 'warning', job: 'sy' },
                  exp_annotations: {
                    summary: 'Switchyard sy: 2 config versions serve at once',
                    description: 'Some replicas did not pick up the latest config. Compare switchyard_config_info across instances and check their /status.',
                  },
                }],
              },
              {
                eval_time: '15m',
                alertname: 'SwitchyardHigh5xxRate',
                exp_alerts: [
                  {
                    exp_labels: { severity: 'critical', job: 'sy', instance: 'a' },
                    exp_annotations: {
                      summary: 'Switchyard a: 10% of requests fail with 5xx',
                      description: 'Upstream failures remain after failover. Check the failovers and circuit panels of the Switchyard dashboard.',
                    },
                  },
                ],
              },
            ],
          },
        ],
      };
      const file = path.join(dir, 'test.yaml');
      writeFileSync(file, YAML.stringify(test));
      const result = spawnSync('promtool', ['test', 'rules', file], { encoding: 'utf8' });
      expect(result.status, result.stdout + result.stderr).to.equal(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
