// What a key may call, for /v1/models and /api/tags: the routes in its
// allow-list, groups first, in a stable order. Computed from the snapshot.

import type { ClientKey, Route, Snapshot } from '../config/snapshot.ts';
import type { ModelInfo } from '../formats/model-list.ts';

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

/** What the model list says about one model: the owner is the provider for provider/model ids, "switchyard" for groups. */
export function modelInfo(model: ListedModel): ModelInfo {
  const first = model.route.tiers[0]?.[0];
  const owner = model.route.kind === 'model' ? first?.provider.name ?? 'switchyard' : 'switchyard';
  return { id: model.id, owner, maxOutputTokens: first?.model.fit.maxOutputTokens ?? null };
}
