// `switchyard models import PROVIDER`: asks a provider for its model list and
// prints a `providers.PROVIDER.models` YAML block to paste and commit. Prices
// are not in any provider's list, so entries come without them: add prices
// before relying on cost figures.

import { stringify } from 'yaml';
import { formatConfigError, loadConfig } from '../config/load.ts';
import { buildTarget } from '../providers/endpoints.ts';
import { sendUpstream } from '../providers/http-client.ts';
import { parseCommandArgs, runCommand, UsageError, type CommandIO } from './command.ts';

const help = `usage: switchyard models import PROVIDER [--config DIR] [--include REGEX] [--exclude REGEX] [--alias FROM=TO]...

Ask PROVIDER (as configured in the config folder, credentials from its
\${ENV}/\${file:...} references) for its model list (GET /models) and print a
providers.PROVIDER.models YAML block ready to commit.
  --include REGEX   keep only model ids matching REGEX
  --exclude REGEX   drop model ids matching REGEX
  --alias FROM=TO   list upstream model FROM under the name TO (repeatable)
`;

/** Model ids from any of the list shapes: OpenAI/Anthropic `data[].id`, Gemini `models[].name`. */
export function modelIdsOf(body: unknown): string[] {
  const b = body as { data?: { id?: unknown }[]; models?: { name?: unknown }[] };
  if (Array.isArray(b?.data)) return b.data.map((m) => m?.id).filter((id): id is string => typeof id === 'string');
  if (Array.isArray(b?.models)) {
    return b.models.map((m) => m?.name).filter((n): n is string => typeof n === 'string').map((n) => n.replace(/^models\//, ''));
  }
  throw new Error('the provider answered with no model list (expected data[].id or models[].name)');
}

/** Capabilities a list states: Gemini's `outputTokenLimit` and `thinking`, Anthropic's `max_tokens`. OpenAI's list states none. */
export interface ListedFacts { reasoning?: boolean; maxOutputTokens?: number }

export function modelFactsOf(body: unknown): Map<string, ListedFacts> {
  const facts = new Map<string, ListedFacts>();
  const b = body as { data?: Record<string, unknown>[]; models?: Record<string, unknown>[] };
  const positive = (v: unknown) => (typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : undefined);
  for (const m of Array.isArray(b?.data) ? b.data : []) {
    const max = positive(m?.max_tokens);
    if (typeof m?.id === 'string' && max !== undefined) facts.set(m.id, { maxOutputTokens: max });
  }
  for (const m of Array.isArray(b?.models) ? b.models : []) {
    if (typeof m?.name !== 'string') continue;
    const entry: ListedFacts = {};
    const max = positive(m.outputTokenLimit);
    if (max !== undefined) entry.maxOutputTokens = max;
    if (typeof m.thinking === 'boolean') entry.reasoning = m.thinking;
    if (Object.keys(entry).length > 0) facts.set(m.name.replace(/^models\//, ''), entry);
  }
  return facts;
}

export function modelsBlock(
  provider: string, ids: string[], include?: RegExp, exclude?: RegExp, aliases = new Map<string, string>(), facts = new Map<string, ListedFacts>(),
): string {
  const scalar = (text: string) => stringify(text).trimEnd();
  const lines = ['providers:', `  ${scalar(provider)}:`, '    models:'];
  for (const id of [...new Set(ids)].sort()) {
    if (include && !include.test(id)) continue;
    if (exclude && exclude.test(id)) continue;
    const alias = aliases.get(id);
    const known = facts.get(id);
    const fields = [
      ...(alias ? [`upstream: ${scalar(id)}`] : []),
      ...(known?.reasoning !== undefined ? [`reasoning: ${known.reasoning}`] : []),
      ...(known?.maxOutputTokens !== undefined ? [`max_output_tokens: ${known.maxOutputTokens}`] : []),
    ];
    lines.push(`      ${scalar(alias ?? id)}: {${fields.length > 0 ? ` ${fields.join(', ')} ` : ''}}`);
  }
  return lines.join('\n') + '\n';
}

function regex(value: string | undefined, flag: string): RegExp | undefined {
  if (value === undefined) return undefined;
  try { return new RegExp(value); } catch { throw new UsageError(`${flag} is not a valid regular expression: ${value}`); }
}

export async function main(args: string[], io: CommandIO): Promise<number> {
  return runCommand(io, help, async () => {
    const { values, positionals } = parseCommandArgs(args, {
      config: { type: 'string' }, include: { type: 'string' }, exclude: { type: 'string' }, alias: { type: 'string', multiple: true },
    });
    if (values.help) { io.stdout.write(help); return 0; }
    if (positionals[0] !== 'import' || positionals.length !== 2) throw new UsageError('expected: models import PROVIDER');
    const name = positionals[1]!;
    const aliases = new Map<string, string>();
    for (const a of values.alias ?? []) {
      const [from, to] = a.split('=');
      if (!from || !to) throw new UsageError(`--alias takes FROM=TO, got '${a}'`);
      aliases.set(from, to);
    }
    const include = regex(values.include, '--include');
    const exclude = regex(values.exclude, '--exclude');
    const loaded = await loadConfig(values.config ?? process.env.SWITCHYARD_CONFIG ?? './gateway.d', { checkSecrets: true });
    if (!loaded.ok) {
      for (const e of loaded.errors) io.stderr.write(`${formatConfigError(e)}\n`);
      return 1;
    }
    const provider = loaded.snapshot.providers.get(name);
    if (!provider) throw new Error(`provider '${name}' is not in the config`);
    let ids: string[];
    let facts = new Map<string, ListedFacts>();
    if (provider.type === 'mock') {
      ids = [...provider.models.keys()];
    } else {
      const target = buildTarget(provider, '', 'models', false, provider.credentials[0]);
      const reply = await sendUpstream(target, 'GET', undefined, { connectMs: 5000, firstByteMs: 30000, idleMs: 30000 }, new AbortController().signal);
      const text = await reply.text();
      if (reply.status !== 200) throw new Error(`provider '${name}' answered HTTP ${reply.status} to its model list`);
      const list: unknown = JSON.parse(text);
      ids = modelIdsOf(list);
      facts = modelFactsOf(list);
    }
    io.stdout.write(modelsBlock(name, ids, include, exclude, aliases, facts));
    return 0;
  });
}
