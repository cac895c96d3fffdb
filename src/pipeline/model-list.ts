// What a key may call, for /v1/models and /api/tags: the routes in its
// allow-list, groups first, in a stable order. Computed from the snapshot.

import type { ClientKey, Route, Snapshot } from '../config/snapshot.ts';

export interface ListedModel { id: string; route: Route }

const listCache = new WeakMap<ClientKey, ListedModel[]>();

export function listModels(snapshot: Snapshot, key: ClientKey): ListedModel[] {
  // Keys are compiled per snapshot, so caching by key object is caching per (snapshot, key).
  let out = listCache.get(key);
  if (!out) {
    out = [...snapshot.routes.values()]
      .filter((route) => key.allowedRoutes.has(route.name))
      .sort((a, b) => (a.kind === b.kind ? a.name.localeCompare(b.name) : a.kind === 'group' ? -1 : 1))
      .map((route) => ({ id: route.name, route }));
    listCache.set(key, out);
  }
  return out;
}

const created = Math.floor(Date.UTC(2025, 0, 1) / 1000);
const createdAt = new Date(created * 1000).toISOString();

/**
 * One model object both SDKs read: OpenAI's `id`, `object`, `created`,
 * `owned_by` (the provider for provider/model ids, "switchyard" for groups)
 * and Anthropic's `type`, `display_name`, `created_at`.
 */
export function modelEntry(model: ListedModel): Record<string, unknown> {
  const owner = model.route.kind === 'model' ? model.route.tiers[0]?.[0]?.provider.name ?? 'switchyard' : 'switchyard';
  return { id: model.id, object: 'model', created, owned_by: owner, type: 'model', display_name: model.id, created_at: createdAt };
}

/** GET /v1/models: OpenAI's list, with the paging fields Anthropic's list has (everything on one page). */
export function modelListBody(models: readonly ListedModel[]): Record<string, unknown> {
  const data = models.map(modelEntry);
  return { object: 'list', data, has_more: false, first_id: models[0]?.id ?? null, last_id: models.at(-1)?.id ?? null };
}
