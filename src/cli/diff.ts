// `switchyard diff OLD NEW`: what a config change means (keys gaining or
// losing models, weights moving, prices, policies), for review and PR
// comments. Each side is a folder or `git:REV`; both go through the one
// loader, without secrets, and the compiled snapshots are compared
// (config/config-diff.ts).

import { diffSections, diffSnapshots, type ConfigChange, type DiffSection } from '../config/config-diff.ts';
import { folderAtRevision } from '../config/git-revision.ts';
import { formatConfigError, loadConfig } from '../config/load.ts';
import type { Snapshot } from '../config/snapshot.ts';
import { parseCommandArgs, runCommand, UsageError, type CommandIO } from './command.ts';

export const help = `usage: switchyard diff OLD NEW [--format text|markdown|json] [--exit-code] [--git-path SUB]

Print what changes between two configs, in meaning rather than lines: keys
added, removed, disabled, re-enabled, and which models or groups each key
gains or loses; limits; groups and their members, weights, priorities,
strategies and policies; providers, base URLs, models and prices; policies;
settings. Credentials are never shown, only that they changed.

  OLD, NEW          a config folder, or git:REV for the folder at revision REV
                    of the git repository in the working directory
  --git-path SUB    the folder inside the repository for git:REV (default gateway.d)
  --format F        text (default); markdown, ready to post as a PR comment;
                    json: {"changes":[{"section","name","change","details":[...]}]}
  --exit-code       exit 1 when anything changed (like git diff --exit-code)
  -h, --help        show this help

Exit codes: 0 done (no change, or changes without --exit-code), 1 changes
with --exit-code, or a side is invalid (its errors are printed), 2 wrong usage.
`;

const sectionTitles: Record<DiffSection, string> = {
  keys: 'Keys', groups: 'Groups', providers: 'Providers', policies: 'Policies', settings: 'Settings',
};

/** A side as the loader sees it, or its errors (already formatted). */
async function loadSide(spec: string, gitPath: string): Promise<{ ok: true; snapshot: Snapshot } | { ok: false; errors: string[] }> {
  if (spec.startsWith('git:')) {
    const rev = spec.slice(4);
    if (!rev) throw new UsageError('git: needs a revision, e.g. git:main or git:HEAD~1');
    let folder;
    try {
      folder = await folderAtRevision(rev, gitPath);
    } catch (err) {
      return { ok: false, errors: [err instanceof Error ? err.message : String(err)] };
    }
    try {
      const result = await loadConfig(folder.dir, { checkSecrets: false, displayDir: folder.displayDir, version: folder.commit, source: 'git', origin: spec });
      return result.ok ? { ok: true, snapshot: result.snapshot } : { ok: false, errors: result.errors.map(formatConfigError) };
    } finally {
      await folder.remove();
    }
  }
  const result = await loadConfig(spec, { checkSecrets: false });
  return result.ok ? { ok: true, snapshot: result.snapshot } : { ok: false, errors: result.errors.map(formatConfigError) };
}

export function renderText(changes: readonly ConfigChange[], oldName: string, newName: string): string {
  if (changes.length === 0) return `no routing changes between ${oldName} and ${newName}\n`;
  const marks: Record<ConfigChange['change'], string> = { added: '+', removed: '-', changed: '~' };
  const lines: string[] = [];
  for (const section of diffSections) {
    const inSection = changes.filter((c) => c.section === section);
    if (inSection.length === 0) continue;
    lines.push(`${section}:`);
    for (const c of inSection) {
      lines.push(`  ${marks[c.change]} ${c.name} ${c.change}`);
      for (const d of c.details) lines.push(`      ${d}`);
    }
  }
  lines.push(`${changes.length} change${changes.length === 1 ? '' : 's'} between ${oldName} and ${newName}`);
  return lines.join('\n') + '\n';
}

/** Markdown table cells: pipes and line breaks would end the cell. */
function cell(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

export function renderMarkdown(changes: readonly ConfigChange[], oldName: string, newName: string): string {
  const lines = ['### Switchyard config diff', '', `\`${cell(oldName)}\` → \`${cell(newName)}\``, ''];
  if (changes.length === 0) {
    lines.push('No routing changes.');
    return lines.join('\n') + '\n';
  }
  const counts = diffSections
    .map((s) => [s, changes.filter((c) => c.section === s).length] as const)
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${n} ${s}`);
  lines.push(`**${changes.length} change${changes.length === 1 ? '' : 's'}**: ${counts.join(', ')}`, '');
  const icons: Record<ConfigChange['change'], string> = { added: '➕ added', removed: '➖ removed', changed: '✏️ changed' };
  for (const section of diffSections) {
    const inSection = changes.filter((c) => c.section === section);
    if (inSection.length === 0) continue;
    lines.push(`#### ${sectionTitles[section]}`, '', '| name | change | details |', '| --- | --- | --- |');
    for (const c of inSection) lines.push(`| \`${cell(c.name)}\` | ${icons[c.change]} | ${c.details.map(cell).join('<br>')} |`);
    lines.push('');
  }
  return lines.join('\n');
}

export async function main(args: string[], io: CommandIO): Promise<number> {
  return runCommand(io, help, async () => {
    const { values, positionals } = parseCommandArgs(args, {
      format: { type: 'string' }, 'exit-code': { type: 'boolean' }, 'git-path': { type: 'string' },
    });
    if (values.help) { io.stdout.write(help); return 0; }
    if (positionals.length !== 2) throw new UsageError(`expected OLD and NEW, got ${positionals.length} argument${positionals.length === 1 ? '' : 's'}`);
    const format = values.format ?? 'text';
    if (format !== 'text' && format !== 'markdown' && format !== 'json') throw new UsageError(`--format must be text, markdown or json, not '${format}'`);
    const gitPath = values['git-path'] ?? 'gateway.d';
    const [oldSpec, newSpec] = positionals as [string, string];

    const sides = await Promise.all([loadSide(oldSpec, gitPath), loadSide(newSpec, gitPath)]);
    let invalid = false;
    for (const [i, side] of sides.entries()) {
      if (side.ok) continue;
      invalid = true;
      io.stderr.write(`${i === 0 ? 'OLD' : 'NEW'} ${positionals[i]} is invalid:\n${side.errors.map((e) => `  ${e}\n`).join('')}`);
    }
    if (invalid || !sides[0].ok || !sides[1].ok) return 1;

    const changes = diffSnapshots(sides[0].snapshot, sides[1].snapshot);
    if (format === 'json') io.stdout.write(JSON.stringify({ changes }, null, 2) + '\n');
    else if (format === 'markdown') io.stdout.write(renderMarkdown(changes, oldSpec, newSpec));
    else io.stdout.write(renderText(changes, oldSpec, newSpec));
    return values['exit-code'] && changes.length > 0 ? 1 : 0;
  });
}
