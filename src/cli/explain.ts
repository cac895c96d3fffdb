// `switchyard explain --model M [--key NAME]`: the dry run of routing. Prints
// the candidates a request would try, in order, with the strategy, tiers and
// what would be skipped. Offline every circuit is closed; with --gateway URL
// it reads the running gateway's /status and skips the members whose circuit
// is open there right now.

import { formatConfigError, loadConfig } from '../config/load.ts';
import type { Snapshot } from '../config/snapshot.ts';
import { orderCandidates, stickyKeyOf } from '../pipeline/plan.ts';
import { parseCommandArgs, runCommand, UsageError, type CommandIO } from './command.ts';

const help = `usage: switchyard explain --model M [--key NAME] [--config DIR] [--gateway URL] [--format text|json]

Print the ordered candidates a request for model M would try: priority tiers,
the group's strategy and policy, and which members are skipped (drained,
circuit open, key not allowed). Weighted and random orders show one draw.
  --gateway URL   read live circuit states from a running gateway's /status
                  (authenticates with the admin key in SWITCHYARD_API_KEY)
`;

export interface ExplainedCandidate {
  order: number | null;
  target: string;
  provider_type: string;
  upstream_model: string;
  priority: number;
  weight: number;
  skipped: string | null;
}

export interface Explanation {
  model: string;
  kind: 'group' | 'model';
  strategy: string;
  policy: string;
  max_attempts: number;
  key: string | null;
  key_allowed: boolean | null;
  candidates: ExplainedCandidate[];
}

/** Is this member's circuit open? Offline: never. */
export type CircuitLookup = (target: string) => boolean;

export function explain(snapshot: Snapshot, model: string, keyName: string | undefined, circuitOpen: CircuitLookup = () => false): Explanation {
  const route = snapshot.routes.get(model);
  if (!route) throw new Error(`model '${model}' does not exist (not a group, nor a provider/model id)`);
  const key = keyName === undefined ? undefined : snapshot.keysByName.get(keyName);
  if (keyName !== undefined && !key) throw new Error(`key '${keyName}' does not exist`);
  const allowed = key ? key.allowedRoutes.has(model) : null;
  // The planned order, then the members it leaves out (drained), each marked
  // with why it would be skipped; `order` numbers the attempts that would happen.
  const ordered = orderCandidates(route, { random: Math.random, turn: 0, score: () => 0, stickyKey: stickyKeyOf(keyName ?? '', undefined, null) });
  const planned = new Set(ordered.map((m) => m.target));
  const all = [...ordered, ...route.tiers.flat().filter((m) => !planned.has(m.target)), ...(route.drained ?? [])];
  let next = 1;
  const candidates: ExplainedCandidate[] = all.map((m) => {
    let skipped: string | null = null;
    if (m.weight === 0) skipped = 'drained (weight 0)';
    else if (allowed === false) skipped = 'key not allowed';
    else if (circuitOpen(m.target)) skipped = 'circuit open';
    return {
      order: skipped ? null : next++,
      target: m.target, provider_type: m.provider.type, upstream_model: m.model.upstreamName,
      priority: m.priority, weight: m.weight, skipped,
    };
  });
  candidates.sort((a, b) => (a.order ?? 1e9) - (b.order ?? 1e9));
  return {
    model, kind: route.kind, strategy: route.strategy, policy: route.policy.name, max_attempts: route.policy.maxAttempts,
    key: keyName ?? null, key_allowed: allowed, candidates,
  };
}

function renderText(e: Explanation): string {
  const lines = [
    `model ${e.model} (${e.kind}): strategy ${e.strategy}, policy ${e.policy}, at most ${e.max_attempts} attempt(s)`,
  ];
  if (e.key) lines.push(`key ${e.key}: ${e.key_allowed ? 'allowed' : 'NOT allowed (403 before any upstream call)'}`);
  for (const c of e.candidates) {
    const head = c.order === null ? '  -' : `${String(c.order).padStart(3)}.`;
    const tail = c.skipped ? `  skipped: ${c.skipped}` : '';
    lines.push(`${head} ${c.target}  [${c.provider_type} -> ${c.upstream_model}]  priority ${c.priority}, weight ${c.weight}${tail}`);
  }
  return lines.join('\n') + '\n';
}

export async function main(args: string[], io: CommandIO): Promise<number> {
  return runCommand(io, help, async () => {
    const { values } = parseCommandArgs(args, {
      model: { type: 'string' }, key: { type: 'string' }, config: { type: 'string' }, format: { type: 'string' }, gateway: { type: 'string' },
    }, false);
    if (values.help) { io.stdout.write(help); return 0; }
    if (!values.model) throw new UsageError('--model is required');
    const format = values.format ?? 'text';
    if (format !== 'text' && format !== 'json') throw new UsageError(`--format must be text or json, got '${format}'`);
    const dir = values.config ?? process.env.SWITCHYARD_CONFIG ?? './gateway.d';
    const loaded = await loadConfig(dir, { checkSecrets: false });
    if (!loaded.ok) {
      for (const e of loaded.errors) io.stderr.write(`${formatConfigError(e)}\n`);
      return 1;
    }
    const circuitOpen = values.gateway ? await liveCircuits(values.gateway) : undefined;
    const e = explain(loaded.snapshot, values.model, values.key, circuitOpen);
    io.stdout.write(format === 'json' ? JSON.stringify(e, null, 2) + '\n' : renderText(e));
    return 0;
  });
}

/** Open circuits as a running gateway reports them on /status. */
async function liveCircuits(url: string): Promise<CircuitLookup> {
  const key = process.env.SWITCHYARD_API_KEY;
  if (!key) throw new UsageError('--gateway needs an admin key in SWITCHYARD_API_KEY to read /status');
  const res = await fetch(new URL('/status', url), { headers: { authorization: `Bearer ${key}` } });
  if (res.status === 403) throw new Error(`the gateway at ${url} refused /status: the key in SWITCHYARD_API_KEY is not an admin key (admin: true)`);
  if (!res.ok) throw new Error(`the gateway at ${url} answered HTTP ${res.status} on /status`);
  const status = await res.json() as { members?: { target: string; circuit: string }[] };
  const open = new Set((status.members ?? []).filter((m) => m.circuit === 'open').map((m) => m.target));
  return (target) => open.has(target);
}
