// `switchyard explain --model M [--key NAME]`: the dry run of routing. Prints
// the candidates a request would try, in order, with the strategy, tiers and
// what would be skipped. Run offline it sees fresh circuits (all closed); the
// live state is on /status.

import { formatConfigError, loadConfig } from '../config/load.ts';
import type { Snapshot } from '../config/snapshot.ts';
import { CircuitBreakers } from '../pipeline/circuit-breaker.ts';
import { orderCandidates, stickyKeyOf } from '../pipeline/plan.ts';
import { parseCommandArgs, runCommand, UsageError, type CommandIO } from './command.ts';

const help = `usage: switchyard explain --model M [--key NAME] [--config DIR] [--format text|json]

Print the ordered candidates a request for model M would try: priority tiers,
the group's strategy and policy, and which members are skipped (drained,
circuit open, key not allowed). Weighted and random orders show one draw.
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

export function explain(snapshot: Snapshot, model: string, keyName: string | undefined, breakers = new CircuitBreakers()): Explanation {
  const route = snapshot.routes.get(model);
  if (!route) throw new Error(`model '${model}' does not exist (not a group, nor a provider/model id)`);
  const key = keyName === undefined ? undefined : snapshot.keysByName.get(keyName);
  if (keyName !== undefined && !key) throw new Error(`key '${keyName}' does not exist`);
  const allowed = key ? key.allowedRoutes.has(model) : null;
  const ordered = orderCandidates(route, { random: Math.random, turn: 0, score: () => 0, stickyKey: stickyKeyOf(keyName ?? '', undefined, null) });
  const position = new Map(ordered.map((m, i) => [m.target, i + 1]));
  const candidates: ExplainedCandidate[] = [...route.tiers.flat(), ...(route.drained ?? [])].map((m) => {
    let skipped: string | null = null;
    if (m.weight === 0) skipped = 'drained (weight 0)';
    else if (!breakers.isAvailable(m.target)) skipped = 'circuit open';
    else if (allowed === false) skipped = 'key not allowed';
    return {
      order: skipped ? null : position.get(m.target) ?? null,
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
      model: { type: 'string' }, key: { type: 'string' }, config: { type: 'string' }, format: { type: 'string' },
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
    const e = explain(loaded.snapshot, values.model, values.key);
    io.stdout.write(format === 'json' ? JSON.stringify(e, null, 2) + '\n' : renderText(e));
    return 0;
  });
}
