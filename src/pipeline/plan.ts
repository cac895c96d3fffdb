// Orders a route's members into the candidate list one request will try:
// priority tiers lowest first, each tier ordered by the route's strategy.
// Pure: randomness, counters and latency scores come in as arguments, so the
// ordering is testable without I/O. Members with weight 0 are drained.

import { createHash } from 'node:crypto';
import type { ClientKey, Member, Route, Snapshot } from '../config/snapshot.ts';

export interface PlanContext {
  /** Uniform [0, 1). */
  random: () => number;
  /** How many requests this route has planned before (round-robin). */
  turn: number;
  /** Lower is better (least-latency). */
  score: (target: string) => number;
  /** Key name + conversation opening or `user` (sticky). */
  stickyKey: string;
}

function weightedDraw(members: readonly Member[], random: () => number): Member[] {
  const pool = [...members];
  const out: Member[] = [];
  let total = pool.reduce((sum, m) => sum + m.weight, 0);
  while (pool.length > 0) {
    let point = random() * total;
    let index = pool.length - 1;
    for (let i = 0; i < pool.length; i++) {
      point -= pool[i]!.weight;
      if (point < 0) { index = i; break; }
    }
    const [chosen] = pool.splice(index, 1);
    total -= chosen!.weight;
    out.push(chosen!);
  }
  return out;
}

/** A hash of (sticky key, target) mapped into (0, 1). */
function unitHash(stickyKey: string, target: string): number {
  const digest = createHash('sha256').update(stickyKey).update('\0').update(target).digest();
  return (digest.readUIntBE(0, 6) + 1) / (2 ** 48 + 2);
}

/**
 * Weighted rendezvous hashing: each member's score depends only on the key
 * and the member, so removing or failing one member moves only its own
 * conversations, and the rest of the order is the failover order.
 */
function rendezvous(members: readonly Member[], stickyKey: string): Member[] {
  const scored = members.map((m) => ({ m, s: -m.weight / Math.log(unitHash(stickyKey, m.target)) }));
  scored.sort((a, b) => b.s - a.s);
  return scored.map((x) => x.m);
}

function orderTier(route: Route, tier: readonly Member[], ctx: PlanContext): Member[] {
  const live = tier.filter((m) => m.weight > 0);
  switch (route.strategy) {
    case 'failover':
      return live;
    case 'weighted':
      return weightedDraw(live, ctx.random);
    case 'round-robin': {
      if (live.length === 0) return live;
      const start = ctx.turn % live.length;
      return [...live.slice(start), ...live.slice(0, start)];
    }
    case 'least-latency':
      return live.map((m, i) => ({ m, i, s: ctx.score(m.target) })).sort((a, b) => a.s - b.s || a.i - b.i).map((x) => x.m);
    case 'sticky':
      return rendezvous(live, ctx.stickyKey);
  }
}

/** Every candidate in the order a request tries them; a target appears once. */
export function orderCandidates(route: Route, ctx: PlanContext): Member[] {
  const out: Member[] = [];
  const seen = new Set<string>();
  for (const tier of route.tiers) {
    for (const m of orderTier(route, tier, ctx)) {
      if (seen.has(m.target)) continue;
      seen.add(m.target);
      out.push(m);
    }
  }
  return out;
}

/** The sticky identity of a request: the key plus `user`, else its opening messages. */
export function stickyKeyOf(keyName: string, user: string | undefined, opening: unknown): string {
  if (user) return `${keyName}\0u\0${user}`;
  return `${keyName}\0m\0${JSON.stringify(opening ?? '')}`;
}

/** Whether a key may use a model: the 404-or-403 decision, before any upstream is planned. */
export type RouteAccess =
  | { ok: true; route: Route }
  | { ok: false; status: 404 | 403; code: 'model_not_found' | 'model_not_allowed'; message: string };

/**
 * A name that exists nowhere is 404; one that exists outside the key's list
 * is 403. Without a key (offline tools) only existence is checked.
 */
export function routeAccess(snapshot: Snapshot, model: string, key: ClientKey | undefined): RouteAccess {
  const route = snapshot.routes.get(model);
  if (!route) return { ok: false, status: 404, code: 'model_not_found', message: `model '${model}' does not exist` };
  if (key && !key.allowedRoutes.has(model)) return { ok: false, status: 403, code: 'model_not_allowed', message: `key '${key.name}' may not use model '${model}'` };
  return { ok: true, route };
}
