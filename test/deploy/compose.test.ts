// The compose demo stack: the YAML parses, every file it mounts exists, Prometheus
// scrapes the gateway and its config passes `promtool check config` (when
// promtool is installed), Grafana needs no login, and the load script sends a
// bounded run of requests with the demo key.

import { expect } from 'chai';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';

const root = resolve(import.meta.dirname, '..', '..');
const composeDir = join(root, 'deploy', 'compose');

interface Service {
  image?: string;
  build?: { context: string; dockerfile?: string };
  volumes?: string[];
  environment?: Record<string, string>;
  entrypoint?: string[];
  command?: string[];
}
interface Compose { services: Record<string, Service> }

const compose = parse(readFileSync(join(composeDir, 'docker-compose.yaml'), 'utf8')) as Compose;

/** Bind mounts of a service as [host path resolved against the compose folder, container path]. */
function bindMounts(service: Service): Array<[string, string]> {
  return (service.volumes ?? [])
    .map((v) => v.split(':'))
    .filter(([source]) => source!.startsWith('.') || source!.startsWith('/'))
    .map(([source, target]) => [resolve(composeDir, source!), target!]);
}

function hasCommand(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`]).status === 0;
}

describe('compose demo stack', () => {
  it('starts switchyard from the repo Dockerfile, Prometheus, Grafana and the load script', () => {
    expect(Object.keys(compose.services)).to.include.members(['switchyard', 'prometheus', 'grafana', 'load']);
    const build = compose.services.switchyard!.build!;
    expect(existsSync(join(resolve(composeDir, build.context), build.dockerfile ?? 'Dockerfile'))).to.equal(true);
  });

  it('mounts the repo config folder read-only where the gateway reads it, so an edit reloads live', () => {
    const switchyard = compose.services.switchyard!;
    const config = (switchyard.volumes ?? []).map((v) => v.split(':')).find(([, target]) => target === '/etc/switchyard/gateway.d');
    expect(config, 'a mount at /etc/switchyard/gateway.d').to.not.equal(undefined);
    expect(resolve(composeDir, config![0]!)).to.equal(join(root, 'gateway.d'));
    expect(config![2]).to.equal('ro');
    // The image's SWITCHYARD_CONFIG is that folder, and compose does not point it elsewhere.
    expect(readFileSync(join(root, 'Dockerfile'), 'utf8')).to.match(/SWITCHYARD_CONFIG=\/etc\/switchyard\/gateway\.d/);
    expect(switchyard.environment?.SWITCHYARD_CONFIG).to.equal(undefined);
  });

  it('takes Grafana\'s admin password from the environment, with no default', () => {
    const password = compose.services.grafana!.environment?.GF_SECURITY_ADMIN_PASSWORD;
    // ${VAR:?message}: compose stops with the message when VAR is unset or empty.
    expect(password).to.match(/^\$\{GRAFANA_ADMIN_PASSWORD:\?[^}]+\}$/);
    expect(compose.services.grafana!.environment).to.not.have.property('GF_SECURITY_ADMIN_USER', 'admin');
  });

  it('mounts only files and folders that exist in the repo', () => {
    const mounts = Object.values(compose.services).flatMap(bindMounts);
    expect(mounts.length).to.be.greaterThan(4);
    for (const [host] of mounts) expect(existsSync(host), `${host} exists`).to.equal(true);
  });

  it('has Prometheus scrape the gateway /metrics and load the mounted alert rules', () => {
    const prometheus = compose.services.prometheus!;
    const configMount = bindMounts(prometheus).find(([, target]) => target === '/etc/prometheus/prometheus.yml');
    expect(configMount).to.not.equal(undefined);
    const config = parse(readFileSync(configMount![0], 'utf8')) as {
      rule_files: string[];
      scrape_configs: Array<{ job_name: string; metrics_path?: string; static_configs: Array<{ targets: string[] }> }>;
    };
    const job = config.scrape_configs.find((j) => j.static_configs.some((s) => s.targets.includes('switchyard:8080')));
    expect(job, 'a job scraping switchyard:8080').to.not.equal(undefined);
    expect(job!.metrics_path ?? '/metrics').to.equal('/metrics');
    // The rule_files glob, resolved inside the container, matches the mounted rules file.
    const rulesMount = bindMounts(prometheus).find(([host]) => host.endsWith(join('grafana', 'alerts', 'switchyard-rules.yaml')));
    expect(rulesMount, 'grafana/alerts/switchyard-rules.yaml is mounted').to.not.equal(undefined);
    const globs = config.rule_files.map((g) => resolve('/etc/prometheus', g));
    const matches = globs.some((g) => new RegExp('^' + g.replace(/\./g, '\\.').replace(/\*/g, '[^/]*') + '$').test(rulesMount![1]));
    expect(matches, `${rulesMount![1]} matches ${globs.join(', ')}`).to.equal(true);
  });

  it('passes promtool check config, rules included', function () {
    if (!hasCommand('promtool')) {
      console.log('      (skipped: promtool not installed; apt-get install prometheus)');
      this.skip();
    }
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-prom-'));
    try {
      copyFileSync(join(composeDir, 'prometheus.yml'), join(dir, 'prometheus.yml'));
      mkdirSync(join(dir, 'rules'));
      const rules = join(root, 'grafana', 'alerts', 'switchyard-rules.yaml');
      if (existsSync(rules)) copyFileSync(rules, join(dir, 'rules', 'switchyard-rules.yaml'));
      const result = spawnSync('promtool', ['check', 'config', join(dir, 'prometheus.yml')], { encoding: 'utf8' });
      expect(result.status, result.stdout + result.stderr).to.equal(0);
      expect(result.stdout + result.stderr).to.include('SUCCESS');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('provisions Grafana datasources and dashboards with anonymous viewers (no login)', () => {
    const grafana = compose.services.grafana!;
    expect(grafana.environment?.GF_AUTH_ANONYMOUS_ENABLED).to.equal('true');
    expect(grafana.environment?.GF_AUTH_ANONYMOUS_ORG_ROLE).to.equal('Viewer');
    const targets = bindMounts(grafana).map(([, target]) => target);
    expect(targets.some((t) => t.startsWith('/etc/grafana/provisioning/datasources'))).to.equal(true);
    expect(targets.some((t) => t.startsWith('/etc/grafana/provisioning/dashboards'))).to.equal(true);
    // The dashboards provider must read the folder the dashboards are mounted at.
    const provider = bindMounts(grafana).find(([, t]) => t.startsWith('/etc/grafana/provisioning/dashboards'))!;
    const dashboardsMount = bindMounts(grafana).find(([host]) => host.endsWith(join('grafana', 'dashboards')))!;
    const providerConfig = parse(readFileSync(provider[0], 'utf8')) as { providers: Array<{ options?: { path?: string } }> };
    const paths = providerConfig.providers.map((p) => p.options?.path ?? '');
    expect(paths.some((p) => p === dashboardsMount[1] || p.startsWith(dashboardsMount[1] + '/')), `provider paths ${paths.join(', ')}`).to.equal(true);
    // The home dashboard (shown without a click) is one of the mounted dashboard files.
    const home = grafana.environment?.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH;
    expect(home, 'a home dashboard').to.be.a('string');
    expect(home!.startsWith(dashboardsMount[1] + '/')).to.equal(true);
    expect(existsSync(join(dashboardsMount[0], home!.slice(dashboardsMount[1].length + 1))), `${home} exists in grafana/dashboards`).to.equal(true);
  });

  it('sends the gateway\'s traces to a trace backend Grafana reads, and keeps exemplars (spec 7.3)', () => {
    const env = compose.services.switchyard!.environment ?? {};
    const endpoint = new URL(env.OTEL_EXPORTER_OTLP_ENDPOINT!);
    expect(Object.keys(compose.services)).to.include(endpoint.hostname);
    expect(endpoint.port).to.equal('4318'); // OTLP/HTTP, the only transport the gateway speaks
    expect(compose.services.prometheus!.command).to.include('--enable-feature=exemplar-storage');
    const mount = bindMounts(compose.services.grafana!).find(([, t]) => t.startsWith('/etc/grafana/provisioning/datasources/') && !t.endsWith('prometheus.yaml'));
    expect(mount, 'a trace datasource is provisioned').to.not.equal(undefined);
    const traces = (parse(readFileSync(mount![0], 'utf8')) as { datasources: Array<{ uid: string; type: string; url: string }> }).datasources[0]!;
    expect(new URL(traces.url).hostname).to.equal(endpoint.hostname);
    const prometheus = parse(readFileSync(join(root, 'grafana', 'provisioning', 'datasources', 'prometheus.yaml'), 'utf8')) as {
      datasources: Array<{ jsonData: { exemplarTraceIdDestinations: Array<{ name: string; datasourceUid: string }> } }>;
    };
    expect(prometheus.datasources[0]!.jsonData.exemplarTraceIdDestinations).to.deep.include({ name: 'trace_id', datasourceUid: traces.uid });
  });

  describe('load.sh', () => {
    const script = join(composeDir, 'load.sh');

    it('is valid POSIX sh', () => {
      execFileSync('sh', ['-n', script]);
    });

    it('sends a bounded run of demo requests and stops by itself', async function () {
      if (!hasCommand('curl')) this.skip();
      const seen: Array<{ headers: IncomingHttpHeaders; body: string }> = [];
      const server = createServer((req, res) => {
        let body = '';
        req.on('data', (c: Buffer) => { body += c; });
        req.on('end', () => {
          seen.push({ headers: req.headers, body });
          res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
        });
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      const port = (server.address() as AddressInfo).port;
      try {
        const child = spawn('sh', [script], {
          env: { ...process.env, SWITCHYARD_URL: `http://127.0.0.1:${port}`, REQUESTS: '25', PER_SECOND: '0' },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let out = '';
        child.stdout.on('data', (c: Buffer) => { out += c; });
        const code = await new Promise<number | null>((r) => child.on('close', r));
        expect(code).to.equal(0);
        expect(seen).to.have.length(25);
        expect(out).to.include('done, 25 requests');
        const demo = seen.filter((r) => r.headers.authorization === 'Bearer sk-sy-demo-0000000000000000000000000000');
        expect(demo.length).to.be.greaterThan(20);
        const bodies = demo.map((r) => JSON.parse(r.body) as { model: string; stream?: boolean });
        expect(bodies.filter((b) => b.model === 'demo').length).to.be.greaterThan(15);
        expect(bodies.some((b) => b.stream === true)).to.equal(true);
      } finally {
        server.close();
      }
    });
  });

});
