// The Helm chart renders into valid Kubernetes objects with its default values
// and with every option on (inline and git config, StatefulSet with a volume per
// pod); values.yaml meets values.schema.json and a typo'd key is rejected; the
// chart's copies of the alert rules and dashboards equal the originals, and the
// PrometheusRule's groups pass `promtool check rules`. Rendered with `helm
// template` when helm is installed, else with the renderer in helm-render.ts.

import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse, stringify } from 'yaml';
import { loadConfig } from '../../src/config/load.ts';
import { renderChart, validateValues } from './helm-render.ts';
import { parseManifests, validateObject, type KubernetesObject } from './kubernetes-schema.ts';

const root = resolve(import.meta.dirname, '..', '..');
const chartDir = join(root, 'deploy', 'helm', 'switchyard');
const hasCommand = (name: string) => spawnSync('sh', ['-c', `command -v ${name}`]).status === 0;
const helmInstalled = hasCommand('helm');

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

interface Probe { httpGet?: { path: string; port: string | number }; exec?: unknown; periodSeconds?: number; failureThreshold?: number }
interface Container {
  name: string;
  image: string;
  args?: string[];
  env?: Array<{ name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }>;
  envFrom?: Array<{ secretRef?: { name: string }; configMapRef?: { name: string } }>;
  ports?: Array<{ name: string; containerPort: number }>;
  volumeMounts?: Array<{ name: string; mountPath: string; readOnly?: boolean }>;
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  startupProbe?: Probe;
}
interface PodSpec {
  serviceAccountName?: string;
  containers: Container[];
  volumes: Array<{ name: string; configMap?: { name: string }; secret?: { secretName: string }; persistentVolumeClaim?: { claimName: string }; emptyDir?: object }>;
  topologySpreadConstraints?: Array<{ topologyKey: string; labelSelector: { matchLabels: Record<string, string> } }>;
}
interface Workload extends KubernetesObject {
  spec: {
    replicas?: number;
    serviceName?: string;
    selector: { matchLabels: Record<string, string> };
    template: { metadata: { labels: Record<string, string>; annotations?: Record<string, string> }; spec: PodSpec };
    volumeClaimTemplates?: Array<{ metadata: { name: string }; spec: { accessModes: string[] } }>;
  };
}

const byKind = (objects: KubernetesObject[], kind: string) => objects.filter((o) => o.kind === kind);
const one = <T extends KubernetesObject = KubernetesObject>(objects: KubernetesObject[], kind: string): T => {
  const found = byKind(objects, kind);
  expect(found, kind).to.have.length(1);
  return found[0] as T;
};
const env = (c: Container, name: string) => c.env?.find((e) => e.name === name);
const workload = (objects: KubernetesObject[]) => objects.find((o) => o.kind === 'Deployment' || o.kind === 'StatefulSet') as Workload;

async function validateAll(objects: KubernetesObject[]): Promise<void> {
  for (const object of objects) {
    try {
      await validateObject(object);
    } catch (err) {
      throw new Error(`${object.kind} ${object.metadata?.name}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}

/** Every option of values.yaml switched on, with inline config. */
const everythingInline: Record<string, unknown> = {
  nameOverride: 'llm',
  commonLabels: { team: 'platform' },
  image: { repository: 'registry.example.com/switchyard', tag: '1.2.3', digest: `sha256:${'a'.repeat(64)}`, pullPolicy: 'Always' },
  imagePullSecrets: [{ name: 'registry' }],
  healthPort: 8081,
  config: { rollOnChange: true },
  providerSecret: 'switchyard-provider-keys',
  redis: { url: 'redis://redis.cache:6379' },
  extraEnv: [{ name: 'OTEL_EXPORTER_OTLP_ENDPOINT', value: 'http://otel:4318' }],
  extraEnvFrom: [{ configMapRef: { name: 'switchyard-extra' } }],
  extraVolumes: [{ name: 'provider-files', secret: { secretName: 'switchyard-provider-files' } }],
  extraVolumeMounts: [{ name: 'provider-files', mountPath: '/run/secrets/switchyard', readOnly: true }],
  extraContainers: [{ name: 'vector', image: 'timberio/vector:0.43.0-debian', args: ['--config', '/etc/vector/vector.yaml'], volumeMounts: [{ name: 'usage', mountPath: '/app/usage', readOnly: true }] }],
  serviceAccount: { create: true, name: 'llm-gateway', annotations: { 'eks.amazonaws.com/role-arn': 'arn:aws:iam::1:role/x' } },
  service: { type: 'ClusterIP', port: 80, annotations: { 'a.example.com/x': 'y' } },
  ingress: {
    enabled: true, className: 'nginx', annotations: { 'nginx.ingress.kubernetes.io/proxy-read-timeout': '600' },
    hosts: [{ host: 'llm.example.com', paths: [{ path: '/', pathType: 'Prefix' }] }],
    tls: [{ hosts: ['llm.example.com'], secretName: 'llm-tls' }],
  },
  httpRoute: { enabled: true, parentRefs: [{ name: 'public', namespace: 'gateways', sectionName: 'https' }], hostnames: ['llm.example.com'] },
  serviceMonitor: {
    enabled: true, namespace: 'monitoring', labels: { release: 'kube-prometheus-stack' }, interval: '30s', scrapeTimeout: '20s', honorLabels: true,
    relabelings: [{ sourceLabels: ['__meta_kubernetes_pod_node_name'], targetLabel: 'node' }],
    metricRelabelings: [{ sourceLabels: ['__name__'], regex: 'go_.*', action: 'drop' }],
  },
  prometheusRule: { enabled: true, labels: { release: 'kube-prometheus-stack' } },
  dashboards: { enabled: true, namespace: 'monitoring', folder: 'LLM' },
  autoscaling: { enabled: true, minReplicas: 3, maxReplicas: 20, targetCPUUtilizationPercentage: 60, targetInFlightRequests: 40, behavior: { scaleDown: { stabilizationWindowSeconds: 300 } } },
  persistence: { enabled: true, mode: 'shared', storageClass: 'efs', accessModes: ['ReadWriteMany'], size: '20Gi' },
  startupProbe: { enabled: true, path: '/healthz', periodSeconds: 1, failureThreshold: 60 },
  podAnnotations: { 'example.com/owner': 'platform' },
  podLabels: { 'example.com/cost-centre': 'ai' },
  priorityClassName: 'high',
  nodeSelector: { 'kubernetes.io/os': 'linux' },
  tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'gateway', effect: 'NoSchedule' }],
  affinity: { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 1, preference: { matchExpressions: [{ key: 'pool', operator: 'In', values: ['gateway'] }] } }] } },
};

/** Every git-mode option on. */
const everythingGit: Record<string, unknown> = {
  config: {
    source: 'git',
    git: { url: 'git@example.com:team/gateway-config.git', branch: 'prod', path: 'gateway.d', intervalSeconds: 60, sshSecret: 'switchyard-deploy-key', webhook: { existingSecret: 'switchyard-webhook', key: 'secret' } },
  },
  persistence: { enabled: true, mode: 'perPod', storageClass: 'gp3', size: '10Gi' },
  autoscaling: { enabled: true, targetCPUUtilizationPercentage: 0, targetInFlightRequests: 50 },
};

describe(`Helm chart (${helmInstalled ? 'helm template' : 'test renderer'})`, () => {
  it('has chart metadata helm accepts', () => {
    const chart = parse(readFileSync(join(chartDir, 'Chart.yaml'), 'utf8')) as Record<string, string>;
    expect(chart.apiVersion).to.equal('v2');
    expect(chart.name).to.equal('switchyard');
    expect(chart.version).to.match(/^[0-9]+\.[0-9]+\.[0-9]+/);
    expect(chart.appVersion).to.be.a('string');
  });

  it('carries exact copies of the alert rules and dashboards (helm reads only files inside the chart)', () => {
    expect(readFileSync(join(chartDir, 'files', 'switchyard-rules.yaml'), 'utf8'), 'files/switchyard-rules.yaml = grafana/alerts/switchyard-rules.yaml; run: cp grafana/alerts/switchyard-rules.yaml deploy/helm/switchyard/files/')
      .to.equal(readFileSync(join(root, 'grafana', 'alerts', 'switchyard-rules.yaml'), 'utf8'));
    const sources = readdirSync(join(root, 'grafana', 'dashboards')).filter((f) => f.endsWith('.json')).sort();
    expect(readdirSync(join(chartDir, 'files', 'dashboards')).sort()).to.deep.equal(sources);
    for (const name of sources) {
      expect(readFileSync(join(chartDir, 'files', 'dashboards', name), 'utf8'), `${name}: run cp grafana/dashboards/*.json deploy/helm/switchyard/files/dashboards/`)
        .to.equal(readFileSync(join(root, 'grafana', 'dashboards', name), 'utf8'));
    }
  });

  describe('values.schema.json', () => {
    const schemaDefaults = () => parse(readFileSync(join(chartDir, 'values.yaml'), 'utf8')) as Record<string, unknown>;

    it('accepts values.yaml and the all-options values', () => {
      validateValues(chartDir, schemaDefaults());
      expect(() => render(everythingInline)).to.not.throw();
      expect(() => render(everythingGit)).to.not.throw();
    });

    it('rejects a typo\'d key at any depth, and a wrong type or enum', () => {
      expect(() => render({ replicaCont: 2 })).to.throw(/additionalProperties|additional properties|replicaCont/);
      expect(() => render({ serviceMonitor: { enabled: true, intervall: '30s' } })).to.throw(/intervall/);
      expect(() => render({ config: { git: { webhook: { secretName: 'x' } } } })).to.throw(/secretName/);
      expect(() => render({ readinessProbe: { enabled: true, path: '/readyz', period: 5 } })).to.throw(/period/);
      expect(() => render({ config: { source: 'folder' } })).to.throw(/config\/source|allowed values/);
      expect(() => render({ replicaCount: 'three' })).to.throw(/replicaCount|integer/);
      expect(() => render({ serviceMonitor: { interval: '30 seconds' } })).to.throw(/interval|pattern/);
    });

    it('lists every key of values.yaml (so the schema and the values do not drift)', () => {
      const schema = JSON.parse(readFileSync(join(chartDir, 'values.schema.json'), 'utf8')) as { properties: Record<string, unknown> };
      const missing: string[] = [];
      const walk = (values: Record<string, unknown>, node: { properties?: Record<string, unknown> }, path: string) => {
        for (const [key, value] of Object.entries(values)) {
          const child = node.properties?.[key] as { properties?: Record<string, unknown>; additionalProperties?: unknown } | undefined;
          if (!child) { missing.push(path + key); continue; }
          if (value !== null && typeof value === 'object' && !Array.isArray(value) && child.properties) walk(value as Record<string, unknown>, child, `${path}${key}.`);
        }
      };
      walk(schemaDefaults(), schema, '');
      expect(missing).to.deep.equal([]);
    });
  });

  it('renders valid objects with the default values: inline config, probes, spread, ServiceAccount, PDB, helm test', async () => {
    const objects = render();
    await validateAll(objects);
    expect(objects.map((o) => o.kind).sort()).to.deep.equal(['ConfigMap', 'Deployment', 'Pod', 'PodDisruptionBudget', 'Service', 'ServiceAccount']);
    const deployment = one<Workload>(objects, 'Deployment');
    expect(deployment.metadata.name).to.equal('gw-switchyard');
    // Kubernetes recommended labels on every object.
    for (const object of objects) {
      const labels = object.metadata.labels ?? {};
      for (const key of ['app.kubernetes.io/name', 'app.kubernetes.io/instance', 'app.kubernetes.io/version', 'app.kubernetes.io/managed-by', 'helm.sh/chart']) {
        expect(labels, `${object.kind} ${key}`).to.have.property(key);
      }
      expect(labels['app.kubernetes.io/instance']).to.equal('gw');
    }
    const pod = deployment.spec.template;
    const container = pod.spec.containers[0]!;
    expect(container.image).to.equal('switchyard:0.1.0');
    expect(container.readinessProbe?.httpGet).to.deep.equal({ path: '/readyz', port: 'http' });
    expect(container.livenessProbe?.httpGet).to.deep.equal({ path: '/healthz', port: 'http' });
    expect(container.startupProbe?.httpGet).to.deep.equal({ path: '/healthz', port: 'http' });
    expect(container.startupProbe!.periodSeconds! * container.startupProbe!.failureThreshold!).to.be.greaterThanOrEqual(30);
    expect(pod.metadata.annotations?.['prometheus.io/scrape']).to.equal('true');
    expect(pod.metadata.annotations).to.not.have.property('checksum/config');
    expect(pod.spec.serviceAccountName).to.equal(one(objects, 'ServiceAccount').metadata.name);
    // Selectors match the pods: Service, PDB, spread constraints.
    const service = one<KubernetesObject & { spec: { selector: Record<string, string> } }>(objects, 'Service');
    const pdb = one<KubernetesObject & { spec: { selector: { matchLabels: Record<string, string> } } }>(objects, 'PodDisruptionBudget');
    const selectors = [service.spec.selector, pdb.spec.selector.matchLabels, deployment.spec.selector.matchLabels, ...(pod.spec.topologySpreadConstraints ?? []).map((t) => t.labelSelector.matchLabels)];
    expect(pod.spec.topologySpreadConstraints?.map((t) => t.topologyKey)).to.deep.equal(['topology.kubernetes.io/zone', 'kubernetes.io/hostname']);
    for (const selector of selectors) for (const [k, v] of Object.entries(selector)) expect(pod.metadata.labels[k]).to.equal(v);
    // The usage folder is an emptyDir unless persistence is on.
    expect(pod.spec.volumes.find((v) => v.name === 'usage')?.emptyDir).to.deep.equal({});
    // The ConfigMap the pod mounts as its config folder is a config the gateway loads.
    const mount = container.volumeMounts!.find((m) => m.mountPath === env(container, 'SWITCHYARD_CONFIG')?.value)!;
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

  it('`helm test` runs a pod of the chart\'s image that probes /readyz through the Service', () => {
    const objects = render();
    const test = one<KubernetesObject & { spec: { restartPolicy: string; containers: Container[] } }>(objects, 'Pod');
    expect(test.metadata.annotations?.['helm.sh/hook']).to.equal('test');
    expect(test.spec.restartPolicy).to.equal('Never');
    const service = one(objects, 'Service');
    const args = test.spec.containers[0]!.args!;
    expect(args.slice(0, 2)).to.deep.equal(['probe', '/readyz']);
    expect(args[args.indexOf('--host') + 1]).to.equal(service.metadata.name);
    expect(args[args.indexOf('--port') + 1]).to.equal('8080');
    expect(render({ tests: { enabled: false } }).map((o) => o.kind)).to.not.include('Pod');
  });

  it('names objects after the release and the chart: nameOverride, fullnameOverride, 63 characters', () => {
    expect(workload(render({}, 'switchyard-prod')).metadata.name).to.equal('switchyard-prod');
    expect(workload(render({ nameOverride: 'llm' })).metadata.name).to.equal('gw-llm');
    expect(workload(render({ nameOverride: 'llm' })).spec.selector.matchLabels['app.kubernetes.io/name']).to.equal('llm');
    expect(workload(render({ fullnameOverride: 'gateway' })).metadata.name).to.equal('gateway');
    expect(workload(render({}, 'a'.repeat(70))).metadata.name).to.have.length(63);
  });

  it('renders valid objects with every option on (inline config)', async () => {
    const objects = render(everythingInline);
    await validateAll(objects);
    expect(objects.map((o) => o.kind).sort()).to.deep.equal([
      'ConfigMap', 'ConfigMap', 'Deployment', 'HTTPRoute', 'HorizontalPodAutoscaler', 'Ingress', 'PersistentVolumeClaim',
      'Pod', 'PodDisruptionBudget', 'PrometheusRule', 'Service', 'ServiceAccount', 'ServiceMonitor',
    ]);
    const deployment = one<Workload>(objects, 'Deployment');
    expect(deployment.metadata.name).to.equal('gw-llm');
    expect(deployment.metadata.labels?.team).to.equal('platform');
    // The HPA owns the replica count.
    expect(deployment.spec.replicas).to.equal(undefined);
    const pod = deployment.spec.template;
    const container = pod.spec.containers[0]!;
    expect(container.image).to.equal(`registry.example.com/switchyard:1.2.3@sha256:${'a'.repeat(64)}`);
    expect(pod.metadata.annotations?.['checksum/config']).to.match(/^[0-9a-f]{64}$/);
    expect(pod.metadata.labels['example.com/cost-centre']).to.equal('ai');
    expect(pod.spec.serviceAccountName).to.equal('llm-gateway');
    // Health listener: probes go to it, the env turns it on.
    expect(env(container, 'SWITCHYARD_HEALTH_PORT')?.value).to.equal('8081');
    expect(container.ports?.find((p) => p.name === 'health')?.containerPort).to.equal(8081);
    for (const probe of [container.startupProbe, container.readinessProbe, container.livenessProbe]) expect(probe?.httpGet?.port).to.equal('health');
    expect(container.startupProbe?.failureThreshold).to.equal(60);
    // Extra env, envFrom, volumes and mounts.
    expect(env(container, 'OTEL_EXPORTER_OTLP_ENDPOINT')?.value).to.equal('http://otel:4318');
    expect(env(container, 'REDIS_URL')?.value).to.equal('redis://redis.cache:6379');
    expect(container.envFrom).to.deep.equal([{ secretRef: { name: 'switchyard-provider-keys' } }, { configMapRef: { name: 'switchyard-extra' } }]);
    expect(container.volumeMounts?.find((m) => m.name === 'provider-files')?.mountPath).to.equal('/run/secrets/switchyard');
    expect(pod.spec.volumes.find((v) => v.name === 'provider-files')?.secret?.secretName).to.equal('switchyard-provider-files');
    // A usage shipper beside the gateway, reading the same volume.
    expect(pod.spec.containers.map((c) => c.name)).to.deep.equal(['switchyard', 'vector']);
    // Usage on the shared claim.
    const pvc = one(objects, 'PersistentVolumeClaim');
    expect(pod.spec.volumes.find((v) => v.name === 'usage')?.persistentVolumeClaim?.claimName).to.equal(pvc.metadata.name);
    // HPA: CPU and in-flight requests (custom metric).
    const hpa = one<KubernetesObject & { spec: { scaleTargetRef: { kind: string; name: string }; metrics: Array<{ type: string; pods?: { metric: { name: string }; target: { averageValue: string } } }> } }>(objects, 'HorizontalPodAutoscaler');
    expect(hpa.spec.scaleTargetRef).to.deep.include({ kind: 'Deployment', name: 'gw-llm' });
    expect(hpa.spec.metrics.map((m) => m.type)).to.deep.equal(['Resource', 'Pods']);
    expect(hpa.spec.metrics[1]!.pods!.metric.name).to.equal('switchyard_in_flight_requests');
    expect(hpa.spec.metrics[1]!.pods!.target.averageValue).to.equal('40');
    // Ingress and HTTPRoute both send to the Service's port.
    const service = one<KubernetesObject & { spec: { ports: Array<{ port: number }> } }>(objects, 'Service');
    const ingress = one<KubernetesObject & { spec: { rules: Array<{ http: { paths: Array<{ backend: { service: { name: string; port: { name: string } } } }> } }> } }>(objects, 'Ingress');
    expect(ingress.spec.rules[0]!.http.paths[0]!.backend.service).to.deep.equal({ name: service.metadata.name, port: { name: 'http' } });
    const route = one<KubernetesObject & { spec: { rules: Array<{ backendRefs: Array<{ name: string; port: number }> }> } }>(objects, 'HTTPRoute');
    expect(route.spec.rules[0]!.backendRefs[0]).to.deep.equal({ name: service.metadata.name, port: 80 });
    // ServiceMonitor with its scrape options.
    const monitor = one<KubernetesObject & { metadata: { namespace: string }; spec: { endpoints: Array<Record<string, unknown>> } }>(objects, 'ServiceMonitor');
    expect(monitor.metadata.namespace).to.equal('monitoring');
    expect(monitor.metadata.labels?.release).to.equal('kube-prometheus-stack');
    expect(monitor.spec.endpoints[0]).to.deep.include({ port: 'http', path: '/metrics', interval: '30s', scrapeTimeout: '20s', honorLabels: true });
    expect(monitor.spec.endpoints[0]!.metricRelabelings).to.have.length(1);
    // PrometheusRule: the bundled rules, whole.
    const rule = one<KubernetesObject & { spec: unknown }>(objects, 'PrometheusRule');
    const bundled = parse(readFileSync(join(root, 'grafana', 'alerts', 'switchyard-rules.yaml'), 'utf8')) as unknown;
    expect(rule.spec).to.deep.equal(bundled);
    // Dashboards ConfigMap for Grafana's sidecar, one key per dashboard, each the JSON itself.
    const dashboards = byKind(objects, 'ConfigMap').find((c) => c.metadata.labels?.grafana_dashboard === '1') as KubernetesObject & { data: Record<string, string> };
    expect(dashboards, 'a ConfigMap labelled grafana_dashboard: "1"').to.not.equal(undefined);
    expect(dashboards.metadata.annotations?.grafana_folder).to.equal('LLM');
    for (const name of readdirSync(join(root, 'grafana', 'dashboards')).filter((f) => f.endsWith('.json'))) {
      expect(JSON.parse(dashboards.data[name]!)).to.deep.equal(JSON.parse(readFileSync(join(root, 'grafana', 'dashboards', name), 'utf8')));
    }
  });

  it('renders valid objects with every git option on: deploy key, webhook secret, a StatefulSet with a usage volume per pod', async () => {
    const objects = render(everythingGit);
    await validateAll(objects);
    expect(byKind(objects, 'ConfigMap')).to.have.length(0);
    expect(byKind(objects, 'Deployment')).to.have.length(0);
    expect(byKind(objects, 'PersistentVolumeClaim')).to.have.length(0);
    const set = one<Workload>(objects, 'StatefulSet');
    const headless = byKind(objects, 'Service').find((s) => s.metadata.name === set.spec.serviceName) as KubernetesObject & { spec: { clusterIP: string } };
    expect(headless?.spec.clusterIP).to.equal('None');
    expect(set.spec.volumeClaimTemplates?.[0]?.metadata.name).to.equal('usage');
    expect(set.spec.volumeClaimTemplates?.[0]?.spec.accessModes).to.deep.equal(['ReadWriteOnce']);
    const container = set.spec.template.spec.containers[0]!;
    expect(container.volumeMounts?.find((m) => m.name === 'usage')?.mountPath).to.equal('/app/usage');
    expect(set.spec.template.spec.volumes.find((v) => v.name === 'usage'), 'no pod volume: the claim template provides it').to.equal(undefined);
    // Git mode runs the image with git in it.
    expect(container.image).to.equal('switchyard:0.1.0-git');
    expect(env(container, 'SWITCHYARD_GIT_URL')?.value).to.equal('git@example.com:team/gateway-config.git');
    expect(env(container, 'SWITCHYARD_GIT_BRANCH')?.value).to.equal('prod');
    expect(env(container, 'SWITCHYARD_GIT_WEBHOOK_SECRET')?.valueFrom?.secretKeyRef).to.deep.equal({ name: 'switchyard-webhook', key: 'secret' });
    expect(env(container, 'SWITCHYARD_CONFIG')).to.equal(undefined);
    const keyPath = /-i\s+(\S+)/.exec(env(container, 'GIT_SSH_COMMAND')!.value!)![1]!;
    const mount = container.volumeMounts!.find((m) => keyPath.startsWith(m.mountPath + '/'))!;
    expect(set.spec.template.spec.volumes.find((v) => v.name === mount.name)?.secret?.secretName).to.equal('switchyard-deploy-key');
    const hpa = one<KubernetesObject & { spec: { scaleTargetRef: { kind: string }; metrics: Array<{ type: string }> } }>(objects, 'HorizontalPodAutoscaler');
    expect(hpa.spec.scaleTargetRef.kind).to.equal('StatefulSet');
    expect(hpa.spec.metrics.map((m) => m.type)).to.deep.equal(['Pods']);
  });

  it('mounts an existing ConfigMap as the config folder', async () => {
    const objects = render({ config: { source: 'existingConfigMap', existingConfigMap: 'team-gateway-config' } });
    await validateAll(objects);
    expect(byKind(objects, 'ConfigMap')).to.have.length(0);
    expect(workload(objects).spec.template.spec.volumes.find((v) => v.name === 'config')?.configMap?.name).to.equal('team-gateway-config');
  });

  it('rolls the pods on an inline config change only when rollOnChange is set', () => {
    const checksum = (values: Record<string, unknown>) => workload(render(values)).spec.template.metadata.annotations?.['checksum/config'];
    const files = (n: number) => ({ '00-settings.yaml': `settings:\n  usage: { dir: ./usage }\n# ${n}\n` });
    const first = checksum({ config: { rollOnChange: true, files: files(1) } });
    expect(first).to.match(/^[0-9a-f]{64}$/);
    expect(checksum({ config: { rollOnChange: true, files: files(1) } })).to.equal(first);
    expect(checksum({ config: { rollOnChange: true, files: files(2) } })).to.not.equal(first);
    expect(checksum({ config: { files: files(2) } })).to.equal(undefined);
  });

  it('refuses what cannot work: git without a URL, an unnamed existing ConfigMap, a route without a Gateway, an HPA without a metric', () => {
    expect(() => render({ config: { source: 'git' } })).to.throw(/config\.git\.url is required/);
    expect(() => render({ config: { source: 'existingConfigMap' } })).to.throw(/config\.existingConfigMap is required/);
    expect(() => render({ httpRoute: { enabled: true } })).to.throw(/parentRefs is required/);
    expect(() => render({ autoscaling: { enabled: true, targetCPUUtilizationPercentage: 0 } })).to.throw(/targetCPUUtilizationPercentage or targetInFlightRequests/);
  });

  it('PrometheusRule groups pass promtool check rules', function () {
    if (!hasCommand('promtool')) {
      console.log('      (skipped: promtool not installed; apt-get install prometheus)');
      this.skip();
    }
    const rule = one<KubernetesObject & { spec: unknown }>(render({ prometheusRule: { enabled: true } }), 'PrometheusRule');
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-promrule-'));
    try {
      writeFileSync(join(dir, 'rules.yaml'), stringify(rule.spec));
      const result = spawnSync('promtool', ['check', 'rules', join(dir, 'rules.yaml')], { encoding: 'utf8' });
      expect(result.status, result.stdout + result.stderr).to.equal(0);
      expect(result.stdout).to.match(/SUCCESS: [1-9][0-9]* rules found/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
