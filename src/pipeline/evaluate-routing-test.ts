// Routing unit tests (`switchyard test`), evaluated with the gateway's own
// decisions: authenticate (http/auth.ts) for 401, routeAccess for 404/403 and
// orderCandidates for the order. Pure: a snapshot and a test in, a verdict
// out. Random strategies are drawn many times from a seeded generator, so a
// result is the same on every run and `first`/`order` must hold on every draw.

import { authenticate, sha256Hex } from '../http/auth.ts';
import type { ClientKey, Member, Route, Snapshot } from '../config/snapshot.ts';
import { orderCandidates, routeAccess, stickyKeyOf } from './plan.ts';

export interface RoutingTest {
  name: string;
  key?: string;
  model: string;
  down?: string[];
  expect: {
    status?: number;
    first?: string;
    order?: string[];
    share?: Record<string, number>;
  };
}

export interface RoutingFailure {
  /** The field of the test that failed, e.g. ['expect', 'first'] or ['down', 0]. */
  at: (string | number)[];
  /** What was expected and what came out. */
  message: string;
}

export interface RoutingVerdict {
  ok: boolean;
  failures: RoutingFailure[];
}

/** Draws per test: the standard error of a share at 2,000 draws is at most 0.011, well inside ±0.05. */
export const draws = 2000;
export const shareTolerance = 0.05;

/** mulberry32: a small seeded generator, so every run draws the same sequence. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The gateway's key check for a key named in a test. A test names a key but
 * cannot hold its token, so the real `authenticate` is asked with a stand-in
 * token whose hash is given to that key alone: disabled and expired keys are
 * refused by the same code, with the same messages, as on the wire.
 */
function authenticateByName(snapshot: Snapshot, name: string, now: number): { ok: true; key: ClientKey } | { ok: false; message: string } {
  const key = snapshot.keysByName.get(name);
  if (!key) return { ok: false, message: `no key named '${name}' in the config` };
  const probe = 'switchyard-routing-test';
  const standIn: ClientKey = { ...key, sha256: sha256Hex(probe) };
  const result = authenticate({ ...snapshot, keysByHash: new Map([[standIn.sha256, standIn]]) }, probe, now);
  return result.ok ? { ok: true, key } : { ok: false, message: result.message };
}

function membersOf(route: Route): Member[] {
  return [...route.tiers.flat(), ...(route.drained ?? [])];
}

/** Why random draws may differ, for a failure message. */
function variesBecause(route: Route): string {
  switch (route.strategy) {
    case 'weighted': return 'strategy weighted draws at random by weight';
    case 'round-robin': return 'strategy round-robin rotates between requests';
    case 'least-latency': return 'strategy least-latency follows live latency';
    case 'sticky': return 'strategy sticky hashes each conversation';
    default: return `strategy ${route.strategy}`;
  }
}

function percent(n: number): string {
  return n.toFixed(2);
}

export function evaluateRoutingTest(snapshot: Snapshot, test: RoutingTest, now = Date.now()): RoutingVerdict {
  const failures: RoutingFailure[] = [];
  const expect = test.expect;

  let key: ClientKey | undefined;
  let status = 200;
  let why = '';
  if (test.key !== undefined) {
    const auth = authenticateByName(snapshot, test.key, now);
    if (auth.ok) key = auth.key;
    else { status = 401; why = auth.message; }
  }
  const access = routeAccess(snapshot, test.model, key);
  if (status === 200 && !access.ok) { status = access.status; why = access.message; }
  const route = access.ok ? access.route : undefined;

  const down = new Set(test.down ?? []);
  if (route) {
    const members = new Set(membersOf(route).map((m) => m.target));
    for (const [i, target] of [...down].entries()) if (!members.has(target)) failures.push({ at: ['down', i], message: `${target} is not a member of ${test.model} (members: ${[...members].join(', ')})` });
  }

  // Every draw's candidates, not down, in the order a request would try them.
  const orders: string[][] = [];
  if (route && status === 200) {
    const random = seededRandom(0x5717c4);
    for (let i = 0; i < draws; i++) {
      const scores = new Map<string, number>();
      const ordered = orderCandidates(route, {
        random,
        turn: i,
        // Offline there is no latency history: any member may be fastest.
        score: (target) => { let s = scores.get(target); if (s === undefined) scores.set(target, s = random()); return s; },
        stickyKey: stickyKeyOf(test.key ?? '', undefined, `conversation ${i}`),
      });
      orders.push(ordered.map((m) => m.target).filter((t) => !down.has(t)));
    }
    if (orders.every((o) => o.length === 0)) { status = 503; why = `every member of '${test.model}' is down`; }
  }

  if (expect.status !== undefined && expect.status !== status) {
    failures.push({ at: ['expect', 'status'], message: `expected ${expect.status}, got ${status}${why ? ` (${why})` : ''}` });
  }
  const wantsRouting = expect.first !== undefined || expect.order !== undefined || expect.share !== undefined;
  if (wantsRouting && status !== 200) {
    if (expect.status === undefined || expect.status === status) failures.push({ at: ['expect'], message: `expected a routed request, got status ${status}${why ? ` (${why})` : ''}` });
    return { ok: false, failures };
  }
  if (!wantsRouting || !route) return { ok: failures.length === 0, failures };

  const firsts = new Map<string, number>();
  for (const o of orders) firsts.set(o[0] ?? '(none)', (firsts.get(o[0] ?? '(none)') ?? 0) + 1);
  const firstSummary = () => [...firsts].sort((a, b) => b[1] - a[1]).map(([t, n]) => `${t} ${n}/${draws}`).join(', ');

  if (expect.first !== undefined) {
    const hits = firsts.get(expect.first) ?? 0;
    if (hits !== draws) {
      const varies = firsts.size > 1 ? `; ${variesBecause(route)}` : '';
      failures.push({ at: ['expect', 'first'], message: `expected ${expect.first} on every draw, got ${firstSummary()}${varies}` });
    }
  }

  if (expect.order !== undefined) {
    const want = expect.order.join(', ');
    const distinct = new Map<string, number>();
    for (const o of orders) distinct.set(o.join(', '), (distinct.get(o.join(', ')) ?? 0) + 1);
    if (distinct.size > 1) {
      const seen = [...distinct].sort((a, b) => b[1] - a[1]).slice(0, 3).map(([o, n]) => `[${o}] ${n}/${draws}`).join('; ');
      failures.push({ at: ['expect', 'order'], message: `expected [${want}] on every draw, but the order varies (${variesBecause(route)}): ${seen}` });
    } else if (!distinct.has(want)) {
      failures.push({ at: ['expect', 'order'], message: `expected [${want}], got [${orders[0]!.join(', ')}]` });
    }
  }

  if (expect.share !== undefined) {
    const targets = new Set([...Object.keys(expect.share), ...firsts.keys()]);
    const off: string[] = [];
    for (const target of targets) {
      const want = expect.share[target] ?? 0;
      const got = (firsts.get(target) ?? 0) / draws;
      if (Math.abs(got - want) > shareTolerance) off.push(`${target} expected ${percent(want)}, got ${percent(got)}`);
    }
    if (off.length > 0) failures.push({ at: ['expect', 'share'], message: `${off.join('; ')} (±${shareTolerance} over ${draws} draws)` });
  }

  return { ok: failures.length === 0, failures };
}
