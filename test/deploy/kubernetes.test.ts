// Every manifest in deploy/kubernetes/ is valid against the Kubernetes API
// schemas, and the pieces fit together the way an operator relies on: the
// Services select the gateway pods, probes hit /readyz and /healthz, the grace
// period covers the preStop pause plus the drain, the deploy key is mounted
// where GIT_SSH_COMMAND looks, and the sidecar is reachable from its pod only.

import { expect } from 'chai';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { parse } from 'yaml';
import { loadConfig } from '../../src/config/load.ts';
import { parseManifests, validateObject, type KubernetesObject } from './kubernetes-schema.ts';

const root = resolve(import.meta.dirname, '..', '..');
const kubernetesDir = join(root, 'deploy', 'kubernetes');

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return yamlFiles(path);
    return /\.ya?ml$/.test(name) ? [path] : [];
  });
}

function load(file: string): KubernetesObject[] {
  return parseManifests(readFileSync(file, 'utf8'), file).filter((o) => o.kind !== 'Kustomization');
}

interface Probe { httpGet?: { path: string; port: string | number }; exec?: { command: string[] } }
interface Container {
  name: string;
  args?: string[];
  command?: string[];
  restartPolicy?: string;
  ports?: Array<{ name?: string; containerPort: number }>;
  env?: Array<{ name: string; value?: string; valueFrom?: unknown }>;
  envFrom?: Array<{ secretRef?: { name: string } }>;
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  startupProbe?: Probe;
  lifecycle?: { preStop?: { exec?: { command: string[] } } };
  volumeMounts?: Array<{ name: string; mountPath: string }>;
}
interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  terminationGracePeriodSeconds?: number;
  volumes?: Array<{ name: string; secret?: { secretName: string }; configMap?: { name: string }; emptyDir?: object }>;
}
interface Workload extends KubernetesObject {
  spec: { replicas?: number; selector: { matchLabels: Record<string, string> }; template: { metadata: { labels: Record<string, string>; annotations?: Record<string, string> }; spec: PodSpec } };
}

const selects = (selector: Record<string, string>, labels: Record<string, string>) =>
  Object.entries(selector).every(([k, v]) => labels[k] === v);

const envValue = (container: Container, name: string) => container.env?.find((e) => e.name === name)?.value;

describe('Kubernetes manifests', () => {
  const files = yamlFiles(kubernetesDir);

  it('are all valid against the Kubernetes schemas', async () => {
    expect(files.length).to.be.greaterThan(4);
    let count = 0;
    for (const file of files) {
      for (const object of load(file)) {
        try {
          await validateObject(object);
        } catch (err) {
          throw new Error(`${relative(root, file)} ${object.kind}/${object.metadata?.name}: ${(err as Error).message}`);
        }
        count++;
      }
    }
    expect(count).to.be.greaterThan(8);
  });

  it('list existing files in the kustomization', () => {
    const kustomization = parse(readFileSync(join(kubernetesDir, 'shared', 'kustomization.yaml'), 'utf8')) as { resources: string[] };
    for (const resource of kustomization.resources) expect(statSync(join(kubernetesDir, 'shared', resource)).isFile(), resource).to.equal(true);
  });

  describe('shared Deployment', () => {
    const objects = yamlFiles(join(kubernetesDir, 'shared')).flatMap(load);
    const find = (kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name);
    const deployment = find('Deployment', 'switchyard') as Workload;
    const pod = deployment.spec.template.spec;
    const gateway = pod.containers.find((c) => c.name === 'switchyard')!;
    const podLabels = deployment.spec.template.metadata.labels;

    it('runs several replicas that the Service, PodDisruptionBudget and ServiceMonitor select', () => {
      expect(deployment.spec.replicas).to.be.greaterThan(1);
      expect(selects(deployment.spec.selector.matchLabels, podLabels)).to.equal(true);
      const service = find('Service', 'switchyard') as KubernetesObject & { spec: { selector: Record<string, string>; ports: Array<{ name: string; targetPort: string }> } };
      expect(selects(service.spec.selector, podLabels)).to.equal(true);
      const portNames = gateway.ports!.map((p) => p.name);
      for (const port of service.spec.ports) expect(portNames).to.include(port.targetPort);
      const pdb = find('PodDisruptionBudget', 'switchyard') as KubernetesObject & { spec: { selector: { matchLabels: Record<string, string> }; maxUnavailable?: number } };
      expect(selects(pdb.spec.selector.matchLabels, podLabels)).to.equal(true);
      expect(pdb.spec.maxUnavailable).to.be.lessThan(deployment.spec.replicas!);
      const monitor = find('ServiceMonitor', 'switchyard') as KubernetesObject & { spec: { selector: { matchLabels: Record<string, string> }; endpoints: Array<{ port: string; path: string }> } };
      expect(selects(monitor.spec.selector.matchLabels, service.metadata.labels!)).to.equal(true);
      expect(monitor.spec.endpoints.map((e) => [e.port, e.path])).to.deep.include(['http', '/metrics']);
    });

    it('is scraped by annotation too', () => {
      const annotations = deployment.spec.template.metadata.annotations!;
      expect(annotations['prometheus.io/scrape']).to.equal('true');
      expect(annotations['prometheus.io/path']).to.equal('/metrics');
      expect(gateway.ports!.map((p) => String(p.containerPort))).to.include(annotations['prometheus.io/port']);
    });

    it('probes readiness on /readyz and liveness on /healthz', () => {
      expect(gateway.readinessProbe?.httpGet?.path).to.equal('/readyz');
      expect(gateway.livenessProbe?.httpGet?.path).to.equal('/healthz');
      expect(gateway.ports!.map((p) => p.name)).to.include(gateway.readinessProbe!.httpGet!.port);
    });

    it('pauses in preStop and leaves the gateway time to drain (30 s default) before the kill', () => {
      const command = gateway.lifecycle?.preStop?.exec?.command ?? [];
      expect(command[0]).to.equal('sleep');
      const pause = Number(command[1]);
      expect(pause).to.be.greaterThan(0);
      expect(pod.terminationGracePeriodSeconds).to.be.greaterThan(pause + 30);
    });

    it('syncs config from a private git repo with a deploy key mounted from a Secret', () => {
      expect(envValue(gateway, 'SWITCHYARD_GIT_URL')).to.match(/^(git@|ssh:\/\/|https:\/\/)/);
      const ssh = envValue(gateway, 'GIT_SSH_COMMAND')!;
      const keyPath = /-i\s+(\S+)/.exec(ssh)![1]!;
      const mount = gateway.volumeMounts!.find((m) => keyPath.startsWith(m.mountPath + '/'))!;
      expect(mount, `a volume mounted at ${keyPath}`).to.not.equal(undefined);
      const volume = pod.volumes!.find((v) => v.name === mount.name)!;
      expect(volume.secret?.secretName).to.be.a('string');
      // The example Secret has the key file GIT_SSH_COMMAND names, and the known_hosts it trusts.
      const example = parseManifests(readFileSync(join(kubernetesDir, 'shared', 'secrets.example.yaml'), 'utf8'), 'secrets')
        .find((s) => s.metadata.name === volume.secret!.secretName) as KubernetesObject & { stringData: Record<string, string> };
      expect(Object.keys(example.stringData)).to.include(keyPath.slice(mount.mountPath.length + 1));
      expect(ssh).to.include('StrictHostKeyChecking=yes');
      expect(Object.keys(example.stringData)).to.include('known_hosts');
    });

    it('takes provider credentials from a Secret and reaches the Redis Service for shared limits', () => {
      const secretNames = (gateway.envFrom ?? []).map((e) => e.secretRef?.name);
      expect(secretNames).to.include('switchyard-provider-keys');
      const redisUrl = new URL(envValue(gateway, 'REDIS_URL')!);
      const redisService = find('Service', redisUrl.hostname) as KubernetesObject & { spec: { selector: Record<string, string>; ports: Array<{ port: number }> } };
      expect(redisService, `a Service named ${redisUrl.hostname}`).to.not.equal(undefined);
      expect(redisService.spec.ports.map((p) => p.port)).to.include(Number(redisUrl.port));
      const redis = find('Deployment', redisUrl.hostname) as Workload;
      expect(selects(redisService.spec.selector, redis.spec.template.metadata.labels)).to.equal(true);
    });
  });

  describe('sidecar', () => {
    const objects = load(join(kubernetesDir, 'sidecar.yaml'));
    const deployment = objects.find((o) => o.kind === 'Deployment') as Workload;
    const pod = deployment.spec.template.spec;
    const sidecar = [...(pod.initContainers ?? []), ...pod.containers].find((c) => c.name === 'switchyard')!;
    const app = pod.containers.find((c) => c.name !== 'switchyard')!;

    it('serves the API on loopback only and lets the kubelet probe a health-only port (no exec probes)', () => {
      const args = sidecar.args!;
      expect(args[args.indexOf('--host') + 1]).to.equal('127.0.0.1');
      expect(objects.filter((o) => o.kind === 'Service')).to.have.length(0);
      // The one port on the pod IP is the health listener (/healthz and /readyz only).
      const healthPort = Number(args[args.indexOf('--health-port') + 1]);
      expect(healthPort).to.be.greaterThan(0).and.not.equal(Number(args[args.indexOf('--port') + 1]));
      expect(sidecar.ports).to.deep.equal([{ name: 'health', containerPort: healthPort }]);
      // httpGet probes start no process in the container: an exec of `node -e fetch()` cost ~60 MB each.
      for (const probe of [sidecar.startupProbe, sidecar.readinessProbe, sidecar.livenessProbe]) {
        expect(probe?.exec).to.equal(undefined);
        expect(probe?.httpGet?.port).to.equal('health');
        expect(probe?.httpGet?.path).to.match(/^\/(readyz|healthz)$/);
      }
    });

    it('starts before the app as a native sidecar and the app points its SDK at it', () => {
      expect(sidecar.restartPolicy).to.equal('Always');
      expect(envValue(app, 'OPENAI_BASE_URL')).to.equal('http://127.0.0.1:8080/v1');
    });

    it('reads a valid gateway config from its ConfigMap, and the app token matches a key in it', async () => {
      const mount = sidecar.volumeMounts!.find((m) => m.mountPath === args(sidecar, '--config'))!;
      const volume = pod.volumes!.find((v) => v.name === mount.name)!;
      const configMap = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === volume.configMap!.name) as KubernetesObject & { data: Record<string, string> };
      const dir = mkdtempSync(join(tmpdir(), 'switchyard-sidecar-'));
      try {
        for (const [name, text] of Object.entries(configMap.data)) writeFileSync(join(dir, name), text);
        const result = await loadConfig(dir, { checkSecrets: false });
        expect(result.ok, result.ok ? '' : result.errors.map((e) => e.message).join('\n')).to.equal(true);
        const settings = parse(configMap.data['00-settings.yaml']!) as { settings: { listen: { host: string } } };
        expect(settings.settings.listen.host).to.equal('127.0.0.1');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
      const tokenRef = app.env!.find((e) => e.name === 'OPENAI_API_KEY')!.valueFrom as { secretKeyRef: { name: string; key: string } };
      const secret = objects.find((o) => o.kind === 'Secret' && o.metadata.name === tokenRef.secretKeyRef.name) as KubernetesObject & { stringData: Record<string, string> };
      const token = secret.stringData[tokenRef.secretKeyRef.key]!;
      const { createHash } = await import('node:crypto');
      const hash = createHash('sha256').update(token).digest('hex');
      const keys = Object.values(configMap.data).map((t) => parse(t) as { keys?: Record<string, { sha256: string }> });
      expect(keys.flatMap((k) => Object.values(k.keys ?? {})).map((k) => k.sha256)).to.include(hash);
    });
  });
});

function args(container: Container, flag: string): string | undefined {
  const list = container.args ?? [];
  const index = list.indexOf(flag);
  return index >= 0 ? list[index + 1] : undefined;
}
