// The Helm chart renders into valid Kubernetes objects with its default values
// and with the options switched on (git config with a deploy key, Redis,
// provider Secret, ServiceMonitor). Rendered with `helm template` when helm is
// installed, else with the small renderer in helm-render.ts.

import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse, stringify } from 'yaml';
import { loadConfig } from '../../src/config/load.ts';
import { renderChart } from './helm-render.ts';
import { parseManifests, validateObject, type KubernetesObject } from './kubernetes-schema.ts';

const chartDir = resolve(import.meta.dirname, '..', '..', 'deploy', 'helm', 'switchyard');
const helmInstalled = spawnSync('sh', ['-c', 'command -v helm']).status === 0;

function render(values: Record<string, unknown> = {}, releaseName = 'gw'): KubernetesObject[] {
  if (helmInstalled) {
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-helm-'));
    try {
      writeFileSync(join(dir, 'values.yaml'), stringify(values));
      const result = spawnSync('helm', ['template', releaseName, chartDir, '-f', join(dir, 'values.yaml')], { encoding: 'utf8' });
      if (result.status !== 0) throw new Error(result.stderr);
      return parseManifests(result.stdout, 'helm template');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return Object.entries(renderChart(chartDir, { releaseName, values })).flatMap(([name, text]) => parseManifests(text, name));
}

interface Container {
  name: string;
  env?: Array<{ name: string; value?: string }>;
  envFrom?: Array<{ secretRef?: { name: string } }>;
  volumeMounts?: Array<{ name: string; mountPath: string }>;
  readinessProbe?: { httpGet?: { path: string } };
  livenessProbe?: { httpGet?: { path: string } };
}
interface Deployment extends KubernetesObject {
  spec: {
    replicas: number;
    selector: { matchLabels: Record<string, string> };
    template: {
      metadata: { labels: Record<string, string>; annotations?: Record<string, string> };
      spec: { containers: Container[]; volumes: Array<{ name: string; configMap?: { name: string }; secret?: { secretName: string } }> };
    };
  };
}

const byKind = (objects: KubernetesObject[], kind: string) => objects.filter((o) => o.kind === kind);
const env = (c: Container, name: string) => c.env?.find((e) => e.name === name)?.value;

describe(`Helm chart (${helmInstalled ? 'helm template' : 'test renderer'})`, () => {
  it('has chart metadata helm accepts', () => {
    const chart = parse(readFileSync(join(chartDir, 'Chart.yaml'), 'utf8')) as Record<string, string>;
    expect(chart.apiVersion).to.equal('v2');
    expect(chart.name).to.equal('switchyard');
    expect(chart.version).to.match(/^[0-9]+\.[0-9]+\.[0-9]+/);
    expect(chart.appVersion).to.be.a('string');
  });

  it('renders valid objects with the default values: inline config, Service, PDB, no ServiceMonitor', async () => {
    const objects = render();
    for (const object of objects) await validateObject(object);
    expect(objects.map((o) => o.kind).sort()).to.deep.equal(['ConfigMap', 'Deployment', 'PodDisruptionBudget', 'Service']);
    const deployment = byKind(objects, 'Deployment')[0] as Deployment;
    expect(deployment.metadata.name).to.equal('gw');
    const pod = deployment.spec.template;
    const container = pod.spec.containers[0]!;
    expect(container.readinessProbe?.httpGet?.path).to.equal('/readyz');
    expect(container.livenessProbe?.httpGet?.path).to.equal('/healthz');
    expect(pod.metadata.annotations?.['prometheus.io/scrape']).to.equal('true');
    const service = byKind(objects, 'Service')[0] as KubernetesObject & { spec: { selector: Record<string, string> } };
    for (const [k, v] of Object.entries(service.spec.selector)) expect(pod.metadata.labels[k]).to.equal(v);
    // The ConfigMap the pod mounts as its config folder is a config the gateway loads.
    const mount = container.volumeMounts!.find((m) => m.mountPath === env(container, 'SWITCHYARD_CONFIG'))!;
    const volume = pod.spec.volumes.find((v) => v.name === mount.name)!;
    const configMap = byKind(objects, 'ConfigMap').find((c) => c.metadata.name === volume.configMap?.name) as KubernetesObject & { data: Record<string, string> };
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-helm-config-'));
    try {
      for (const [name, text] of Object.entries(configMap.data)) writeFileSync(join(dir, name), text);
      const result = await loadConfig(dir, { checkSecrets: false });
      expect(result.ok, result.ok ? '' : result.errors.map((e) => e.message).join('\n')).to.equal(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('renders git config with a deploy key, Redis, provider Secret and ServiceMonitor when asked', async () => {
    const objects = render({
      replicaCount: 5,
      config: { source: 'git', git: { url: 'git@example.com:team/gateway-config.git', sshSecret: 'switchyard-deploy-key' } },
      redis: { url: 'redis://redis.cache:6379' },
      providerSecret: 'switchyard-provider-keys',
      serviceMonitor: { enabled: true, labels: { release: 'kube-prometheus-stack' } },
      metrics: { podAnnotations: false },
      resources: { requests: { cpu: '1', memory: '256Mi' } },
    });
    for (const object of objects) await validateObject(object);
    expect(byKind(objects, 'ConfigMap')).to.have.length(0);
    const deployment = byKind(objects, 'Deployment')[0] as Deployment;
    expect(deployment.spec.replicas).to.equal(5);
    const container = deployment.spec.template.spec.containers[0]!;
    expect(env(container, 'SWITCHYARD_GIT_URL')).to.equal('git@example.com:team/gateway-config.git');
    expect(env(container, 'REDIS_URL')).to.equal('redis://redis.cache:6379');
    expect(container.envFrom?.[0]?.secretRef?.name).to.equal('switchyard-provider-keys');
    const keyPath = /-i\s+(\S+)/.exec(env(container, 'GIT_SSH_COMMAND')!)![1]!;
    const mount = container.volumeMounts!.find((m) => keyPath.startsWith(m.mountPath + '/'))!;
    expect(deployment.spec.template.spec.volumes.find((v) => v.name === mount.name)?.secret?.secretName).to.equal('switchyard-deploy-key');
    expect(deployment.spec.template.metadata.annotations).to.equal(undefined);
    const monitor = byKind(objects, 'ServiceMonitor')[0]!;
    expect(monitor.metadata.labels?.release).to.equal('kube-prometheus-stack');
  });

  it('refuses git config without a URL', () => {
    expect(() => render({ config: { source: 'git' } })).to.throw(/config\.git\.url is required/);
  });
});
