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
 * and Anthropic's ModelInfo (`type`, `display_name`, `created_at`,
 * `lifecycle`; the fields a gateway cannot know are null, `max_tokens` is the
 * first member's max_output_tokens when declared).
 */
export function modelEntry(model: ListedModel): Record<string, unknown> {
  const first = model.route.tiers[0]?.[0];
  const owner = model.route.kind === 'model' ? first?.provider.name ?? 'switchyard' : 'switchyard';
  return {
    id: model.id, object: 'model', created, owned_by: owner,
    type: 'model', display_name: model.id, created_at: createdAt, lifecycle: 'active',
    capabilities: null, deprecated_at: null, retires_at: null, line: null, max_input_tokens: null,
    max_tokens: first?.model.fit.maxOutputTokens ?? null,
  };
}

/** GET /v1/models: OpenAI's list, with the paging fields Anthropic's list has (everything on one page). */
export function modelListBody(models: readonly ListedModel[]): Record<string, unknown> {
  const data = models.map(modelEntry);
  return { object: 'list', data, has_more: false, first_id: models[0]?.id ?? null, last_id: models.at(-1)?.id ?? null };
}
