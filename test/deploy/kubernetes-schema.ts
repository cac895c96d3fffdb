// Validates Kubernetes objects against the API schemas shipped in the
// `kubernetes-models` package: each object is built with its model class and
// `.validate()`d. ServiceMonitor and PrometheusRule (Prometheus Operator CRDs)
// and HTTPRoute (Gateway API CRD) have no model there, so their required
// fields and shapes are checked by hand, after the CRDs' OpenAPI schemas.

import { parseAllDocuments } from 'yaml';

export interface KubernetesObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
}

interface Model { validate(): void }
type ModelClass = new (data: KubernetesObject) => Model;

/** Every YAML document of a file that is an object (empty documents and comments-only dropped). */
export function parseManifests(text: string, source: string): KubernetesObject[] {
  const objects: KubernetesObject[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) throw new Error(`${source}: ${doc.errors[0]!.message}`);
    const value = doc.toJS() as unknown;
    if (value === null || value === undefined) continue;
    if (typeof value !== 'object' || Array.isArray(value)) throw new Error(`${source}: a document is not an object`);
    objects.push(value as KubernetesObject);
  }
  return objects;
}

function checkServiceMonitor(object: KubernetesObject): void {
  const spec = object.spec as { selector?: { matchLabels?: Record<string, string> }; endpoints?: Array<Record<string, unknown>> } | undefined;
  if (object.apiVersion !== 'monitoring.coreos.com/v1') throw new Error('ServiceMonitor apiVersion must be monitoring.coreos.com/v1');
  const specFields = new Set(['selector', 'endpoints', 'namespaceSelector', 'jobLabel', 'targetLabels', 'podTargetLabels', 'sampleLimit']);
  for (const field of Object.keys(spec ?? {})) if (!specFields.has(field)) throw new Error(`ServiceMonitor spec: unknown field ${field}`);
  if (!object.metadata?.name) throw new Error('ServiceMonitor needs metadata.name');
  if (!spec?.selector?.matchLabels || Object.keys(spec.selector.matchLabels).length === 0) throw new Error('ServiceMonitor needs spec.selector.matchLabels');
  if (!Array.isArray(spec.endpoints) || spec.endpoints.length === 0) throw new Error('ServiceMonitor needs spec.endpoints');
  const allowed = new Set(['port', 'targetPort', 'path', 'scheme', 'interval', 'scrapeTimeout', 'honorLabels', 'relabelings', 'metricRelabelings', 'bearerTokenSecret', 'tlsConfig']);
  for (const endpoint of spec.endpoints) {
    for (const field of Object.keys(endpoint)) if (!allowed.has(field)) throw new Error(`ServiceMonitor endpoint: unknown field ${field}`);
    if (typeof endpoint.port !== 'string' && endpoint.targetPort === undefined) throw new Error('ServiceMonitor endpoint needs a named port');
    if (endpoint.path !== undefined && (typeof endpoint.path !== 'string' || !endpoint.path.startsWith('/'))) throw new Error('ServiceMonitor endpoint path must start with /');
    for (const field of ['interval', 'scrapeTimeout']) {
      if (endpoint[field] !== undefined && !/^[0-9]+(ms|s|m|h)$/.test(String(endpoint[field]))) throw new Error(`ServiceMonitor endpoint ${field} ${String(endpoint[field])} is not a duration`);
    }
    if (endpoint.honorLabels !== undefined && typeof endpoint.honorLabels !== 'boolean') throw new Error('ServiceMonitor endpoint honorLabels must be a boolean');
    for (const field of ['relabelings', 'metricRelabelings']) if (endpoint[field] !== undefined && !Array.isArray(endpoint[field])) throw new Error(`ServiceMonitor endpoint ${field} must be a list`);
  }
}

const dnsLabel = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

function checkMetadata(object: KubernetesObject): void {
  const name = object.metadata?.name;
  if (!name || name.length > 253 || !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(name)) throw new Error(`${object.kind}: metadata.name '${String(name)}' is not a DNS subdomain`);
  for (const [key, value] of Object.entries(object.metadata.labels ?? {})) {
    if (typeof value !== 'string' || value.length > 63) throw new Error(`${object.kind}: label ${key} must be a string of at most 63 characters`);
  }
}

/** PrometheusRule (monitoring.coreos.com/v1): spec.groups[] of { name, rules[] of alert|record + expr }. */
function checkPrometheusRule(object: KubernetesObject): void {
  if (object.apiVersion !== 'monitoring.coreos.com/v1') throw new Error('PrometheusRule apiVersion must be monitoring.coreos.com/v1');
  checkMetadata(object);
  const spec = object.spec as { groups?: Array<{ name?: unknown; interval?: unknown; rules?: Array<Record<string, unknown>> }> } | undefined;
  if (!spec || Object.keys(spec).some((k) => k !== 'groups')) throw new Error('PrometheusRule spec holds groups only');
  if (!Array.isArray(spec.groups) || spec.groups.length === 0) throw new Error('PrometheusRule needs spec.groups');
  const ruleFields = new Set(['alert', 'record', 'expr', 'for', 'keep_firing_for', 'labels', 'annotations']);
  for (const group of spec.groups) {
    if (typeof group.name !== 'string' || group.name === '') throw new Error('PrometheusRule group needs a name');
    if (!Array.isArray(group.rules)) throw new Error(`PrometheusRule group ${group.name} needs rules`);
    for (const rule of group.rules) {
      for (const field of Object.keys(rule)) if (!ruleFields.has(field)) throw new Error(`PrometheusRule rule: unknown field ${field}`);
      if ((typeof rule.alert === 'string') === (typeof rule.record === 'string')) throw new Error('PrometheusRule rule needs exactly one of alert and record');
      if (typeof rule.expr !== 'string' && typeof rule.expr !== 'number') throw new Error(`PrometheusRule rule ${String(rule.alert ?? rule.record)} needs expr`);
      if (rule.for !== undefined && !/^([0-9]+(ms|s|m|h|d|w|y))+$/.test(String(rule.for))) throw new Error(`PrometheusRule rule for: ${String(rule.for)} is not a duration`);
    }
  }
}

/** HTTPRoute (gateway.networking.k8s.io/v1): parentRefs with names, rules with matches and Service backendRefs with ports. */
function checkHttpRoute(object: KubernetesObject): void {
  if (object.apiVersion !== 'gateway.networking.k8s.io/v1') throw new Error('HTTPRoute apiVersion must be gateway.networking.k8s.io/v1');
  checkMetadata(object);
  const spec = object.spec as { parentRefs?: Array<Record<string, unknown>>; hostnames?: unknown[]; rules?: Array<Record<string, unknown>> } | undefined;
  const specFields = new Set(['parentRefs', 'hostnames', 'rules']);
  for (const field of Object.keys(spec ?? {})) if (!specFields.has(field)) throw new Error(`HTTPRoute spec: unknown field ${field}`);
  if (!Array.isArray(spec?.parentRefs) || spec.parentRefs.length === 0) throw new Error('HTTPRoute needs spec.parentRefs');
  for (const ref of spec.parentRefs) if (typeof ref.name !== 'string' || !dnsLabel.test(ref.name)) throw new Error('HTTPRoute parentRef needs a name');
  for (const host of spec.hostnames ?? []) if (typeof host !== 'string' || !/^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(host)) throw new Error(`HTTPRoute hostname ${String(host)} is not a hostname`);
  if (!Array.isArray(spec.rules) || spec.rules.length === 0 || spec.rules.length > 16) throw new Error('HTTPRoute needs 1 to 16 rules');
  for (const rule of spec.rules) {
    for (const match of (rule.matches as Array<{ path?: { type?: string; value?: string } }> | undefined) ?? []) {
      if (match.path && (!['Exact', 'PathPrefix', 'RegularExpression'].includes(match.path.type ?? 'PathPrefix') || !String(match.path.value ?? '/').startsWith('/'))) throw new Error('HTTPRoute path match needs a type and a value starting with /');
    }
    for (const backend of (rule.backendRefs as Array<{ name?: string; port?: unknown; kind?: string }> | undefined) ?? []) {
      if (typeof backend.name !== 'string' || !dnsLabel.test(backend.name)) throw new Error('HTTPRoute backendRef needs a name');
      if ((backend.kind ?? 'Service') === 'Service' && (typeof backend.port !== 'number' || backend.port < 1 || backend.port > 65535)) throw new Error('HTTPRoute Service backendRef needs a port number');
    }
  }
}

/** Throws with the schema's message when the object is not valid for its apiVersion/kind. */
export async function validateObject(object: KubernetesObject): Promise<void> {
  if (object.kind === 'ServiceMonitor') { checkMetadata(object); return checkServiceMonitor(object); }
  if (object.kind === 'PrometheusRule') return checkPrometheusRule(object);
  if (object.kind === 'HTTPRoute') return checkHttpRoute(object);
  if (typeof object.apiVersion !== 'string' || typeof object.kind !== 'string') throw new Error('apiVersion and kind are required');
  let module: Record<string, unknown>;
  try {
    module = (await import(`kubernetes-models/${object.apiVersion}`)) as Record<string, unknown>;
  } catch {
    throw new Error(`unknown apiVersion ${object.apiVersion}`);
  }
  const Model = module[object.kind] as ModelClass | undefined;
  if (typeof Model !== 'function') throw new Error(`unknown kind ${object.kind} in ${object.apiVersion}`);
  new Model(object).validate();
}
