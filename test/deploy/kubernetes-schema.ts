// Validates Kubernetes objects against the API schemas shipped in the
// `kubernetes-models` package: each object is built with its model class and
// `.validate()`d. ServiceMonitor (a Prometheus Operator CRD) has no model there,
// so its shape is checked by hand.

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
  if (!object.metadata?.name) throw new Error('ServiceMonitor needs metadata.name');
  if (!spec?.selector?.matchLabels || Object.keys(spec.selector.matchLabels).length === 0) throw new Error('ServiceMonitor needs spec.selector.matchLabels');
  if (!Array.isArray(spec.endpoints) || spec.endpoints.length === 0) throw new Error('ServiceMonitor needs spec.endpoints');
  const allowed = new Set(['port', 'targetPort', 'path', 'scheme', 'interval', 'scrapeTimeout', 'honorLabels', 'relabelings', 'metricRelabelings', 'bearerTokenSecret', 'tlsConfig']);
  for (const endpoint of spec.endpoints) {
    for (const field of Object.keys(endpoint)) if (!allowed.has(field)) throw new Error(`ServiceMonitor endpoint: unknown field ${field}`);
    if (typeof endpoint.port !== 'string' && endpoint.targetPort === undefined) throw new Error('ServiceMonitor endpoint needs a named port');
    if (endpoint.path !== undefined && (typeof endpoint.path !== 'string' || !endpoint.path.startsWith('/'))) throw new Error('ServiceMonitor endpoint path must start with /');
    if (endpoint.interval !== undefined && !/^[0-9]+(ms|s|m|h)$/.test(String(endpoint.interval))) throw new Error(`ServiceMonitor endpoint interval ${String(endpoint.interval)} is not a duration`);
  }
}

/** Throws with the schema's message when the object is not valid for its apiVersion/kind. */
export async function validateObject(object: KubernetesObject): Promise<void> {
  if (object.kind === 'ServiceMonitor') return checkServiceMonitor(object);
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
