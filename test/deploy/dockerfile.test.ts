// The Dockerfile, checked statically (no Docker engine runs in CI): a multi-stage
// build on the Node LTS slim image pinned by digest, tini as PID 1, OCI labels,
// build-info.json written, a lean default target without git/ssh/perl and a
// `git` target with them, non-root, production dependencies only, a /healthz
// check through `switchyard probe`, and COPYs of files that exist and that
// .dockerignore lets through.

import { expect } from 'chai';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..', '..');

interface Instruction { keyword: string; args: string }
interface Stage { base: string; name: string | undefined; instructions: Instruction[] }

/** Splits a Dockerfile into stages of instructions, joining `\` continuations and dropping comments. */
function parseDockerfile(text: string): Stage[] {
  const logical: string[] = [];
  let pending = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('#') && !pending) continue;
    if (line.startsWith('#')) continue;
    if (line.endsWith('\\')) { pending += line.slice(0, -1) + ' '; continue; }
    const full = (pending + line).trim();
    pending = '';
    if (full) logical.push(full);
  }
  const stages: Stage[] = [];
  for (const line of logical) {
    const match = /^(\S+)\s*(.*)$/.exec(line);
    if (!match) continue;
    const keyword = match[1]!.toUpperCase();
    const args = match[2]!;
    if (keyword === 'FROM') {
      const parts = args.split(/\s+/).filter((p) => !p.startsWith('--'));
      const asIndex = parts.findIndex((p) => p.toUpperCase() === 'AS');
      stages.push({ base: parts[0]!, name: asIndex >= 0 ? parts[asIndex + 1] : undefined, instructions: [] });
    } else {
      expect(stages.length, `${keyword} before FROM`).to.be.greaterThan(0);
      stages.at(-1)!.instructions.push({ keyword, args });
    }
  }
  return stages;
}

/** Source paths of a COPY/ADD without --from (the build context's files). */
function copySources(args: string): string[] {
  const trimmed = args.replace(/--[a-z-]+=\S+\s*/g, '').trim();
  const parts = trimmed.startsWith('[') ? (JSON.parse(trimmed) as string[]) : trimmed.split(/\s+/);
  return parts.slice(0, -1);
}

function ignored(path: string, patterns: string[]): boolean {
  let result = false;
  for (const pattern of patterns) {
    const negate = pattern.startsWith('!');
    const body = (negate ? pattern.slice(1) : pattern).replace(/^\/+/, '').replace(/^\*\*\//, '');
    const regex = new RegExp('^' + body.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('[^/]*') + '(/.*)?$');
    if (regex.test(path) || regex.test(path.split('/').at(-1)!)) result = !negate;
  }
  return result;
}

/** A stage's instructions with those of the stages it is built FROM first (FROM base AS x). */
function effectiveInstructions(stages: Stage[], stage: Stage): Instruction[] {
  const parent = stages.find((s) => s.name !== undefined && s.name === stage.base);
  return parent ? [...effectiveInstructions(stages, parent), ...stage.instructions] : stage.instructions;
}

/** The image a stage finally starts from, through its FROM <stage> chain. */
function rootImage(stages: Stage[], stage: Stage): string {
  const parent = stages.find((s) => s.name !== undefined && s.name === stage.base);
  return parent ? rootImage(stages, parent) : stage.base;
}

const digestPinned = /^node:24-slim@sha256:[0-9a-f]{64}$/;

describe('Dockerfile', () => {
  const text = readFileSync(join(root, 'Dockerfile'), 'utf8');
  const stages = parseDockerfile(text);
  const final = stages.at(-1)!;
  const finalInstructions = effectiveInstructions(stages, final);
  const finalOf = (keyword: string) => finalInstructions.filter((i) => i.keyword === keyword);
  const gitStage = stages.find((s) => s.name === 'git');
  const dockerignore = readFileSync(join(root, '.dockerignore'), 'utf8')
    .split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));

  it('is multi-stage and runs on the Node 24 LTS slim image, pinned by digest with a note on bumping it', () => {
    expect(stages.length).to.be.greaterThan(1);
    for (const stage of stages) expect(rootImage(stages, stage), `stage ${stage.name}`).to.match(digestPinned);
    // One pinned FROM: every other stage builds from it, so a bump is one line.
    expect(stages.filter((s) => s.base.includes('@sha256:'))).to.have.length(1);
    expect(text).to.match(/#.*bump/i);
    expect(text).to.match(/#.*(imagetools inspect|crane digest)/);
    const build = stages.find((s) => s.instructions.some((i) => i.keyword === 'RUN' && /\btsc\b/.test(i.args)));
    expect(build, 'a stage compiles with tsc').to.not.equal(undefined);
    expect(build).to.not.equal(final);
  });

  it('runs as a non-root user', () => {
    const users = finalOf('USER');
    expect(users, 'USER in the final stage').to.have.length.greaterThan(0);
    const user = users.at(-1)!.args.split(':')[0]!.trim();
    expect(user).to.not.be.oneOf(['root', '0', '']);
  });

  it('ships production dependencies only', () => {
    // Every npm install that feeds the final stage omits dev dependencies.
    for (const stage of stages.filter((s) => s !== final)) {
      const feedsNodeModules = finalInstructions.some((i) => i.keyword === 'COPY' && i.args.includes(`--from=${stage.name}`) && /node_modules/.test(i.args));
      if (!feedsNodeModules) continue;
      const installs = stage.instructions.filter((i) => i.keyword === 'RUN' && /npm (ci|install)\b/.test(i.args));
      expect(installs.length, `stage ${stage.name} installs`).to.be.greaterThan(0);
      for (const install of installs) expect(install.args).to.match(/--omit=dev|--production/);
    }
    for (const install of finalOf('RUN').filter((i) => /npm (ci|install)\b/.test(i.args))) {
      expect(install.args).to.match(/--omit=dev|--production/);
    }
    // The stage that ran a plain `npm ci` (dev deps for tsc) gives the final stage only dist/.
    const build = stages.find((s) => s.instructions.some((i) => i.keyword === 'RUN' && /npm ci(?!.*--omit=dev)/.test(i.args)))!;
    const fromBuild = finalInstructions.filter((i) => i.keyword === 'COPY' && i.args.includes(`--from=${build.name}`));
    expect(fromBuild.length).to.be.greaterThan(0);
    for (const copy of fromBuild) expect(copy.args).to.not.match(/node_modules/);
  });

  it('leaves out no package the gateway imports at run time (dev dependencies are not in the image)', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    const production = new Set(Object.keys(pkg.dependencies));
    const missing: string[] = [];
    const walk = (dir: string): string[] => readdirSync(dir, { withFileTypes: true })
      .flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
    for (const file of walk(join(root, 'src'))) {
      const text = readFileSync(file, 'utf8');
      // Value imports only: `import type` and `export type` are erased by tsc.
      const specifiers = [
        ...text.matchAll(/^\s*(?:import|export)\s+(?!type\s)[^'"]*?from\s+'([^']+)'/gm),
        ...text.matchAll(/^\s*import\s+'([^']+)'/gm),
        ...text.matchAll(/\bimport\(\s*'([^']+)'\s*\)/g),
      ].map((m) => m[1]!);
      for (const specifier of specifiers) {
        if (specifier.startsWith('.') || specifier.startsWith('node:') || isBuiltin(specifier)) continue;
        const name = specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0]!;
        if (!production.has(name)) missing.push(`${file.slice(root.length + 1)}: ${specifier}`);
      }
    }
    expect(missing, 'imported at run time but not a production dependency').to.deep.equal([]);
  });

  it('checks /healthz with the small `switchyard probe` (slim has no curl; no fetch-loading node -e)', () => {
    const checks = finalOf('HEALTHCHECK');
    expect(checks).to.have.length(1);
    expect(checks[0]!.args).to.include('/healthz');
    expect(checks[0]!.args).to.match(/CMD \["node", "dist\/cli\.js", "probe"/);
    expect(checks[0]!.args).to.not.match(/\b(curl|wget|fetch)\b/);
  });

  it('runs tini as PID 1 (reaps git/ssh children, forwards signals), installed from Debian', () => {
    const entrypoint = JSON.parse(finalOf('ENTRYPOINT').at(-1)!.args) as string[];
    expect(entrypoint.slice(0, 2)).to.deep.equal(['/usr/bin/tini', '--']);
    expect(finalOf('RUN').some((i) => /apt-get install[^&]*\btini\b/.test(i.args))).to.equal(true);
  });

  it('carries the OCI labels, the revision and creation date from build args', () => {
    const labels = finalOf('LABEL').map((i) => i.args).join(' ');
    for (const key of ['title', 'description', 'licenses', 'source', 'version', 'revision', 'created']) {
      expect(labels, key).to.match(new RegExp(`org\\.opencontainers\\.image\\.${key}=`));
    }
    expect(labels).to.include('${VCS_REF}');
    expect(labels).to.include('${BUILD_DATE}');
  });

  it('writes dist/build-info.json in the build, so `switchyard --version` names the commit', () => {
    const build = stages.find((s) => s.name === 'build')!;
    const write = build.instructions.find((i) => i.keyword === 'RUN' && i.args.includes('dist/build-info.json'));
    expect(write, 'a RUN writing dist/build-info.json').to.not.equal(undefined);
    expect(write!.args).to.include('"commit"');
    expect(write!.args).to.include('$VCS_REF');
    expect(build.instructions.some((i) => i.keyword === 'ARG' && i.args.startsWith('VCS_REF'))).to.equal(true);
    // The file is in dist/, which the final stage copies whole.
    expect(finalOf('COPY').some((i) => i.args === '--from=build /src/dist ./dist')).to.equal(true);
  });

  it('leaves git, ssh and perl out of the default image and puts git + ssh in the `git` target', () => {
    const installs = finalOf('RUN').filter((i) => /apt-get install/.test(i.args)).map((i) => i.args).join(' ');
    expect(installs).to.not.match(/\b(git|openssh-client|perl)\b/);
    expect(gitStage, 'a stage named git').to.not.equal(undefined);
    const gitInstalls = effectiveInstructions(stages, gitStage!).filter((i) => i.keyword === 'RUN' && /apt-get install/.test(i.args)).map((i) => i.args).join(' ');
    expect(gitInstalls).to.match(/\bgit\b/);
    expect(gitInstalls).to.match(/\bopenssh-client\b/);
    // Both targets end as the unprivileged user.
    expect(effectiveInstructions(stages, gitStage!).filter((i) => i.keyword === 'USER').at(-1)!.args).to.equal('node');
  });

  it('starts the CLI, exposes 8080 and serves a baked, mountable config folder', () => {
    expect(finalOf('EXPOSE').map((i) => i.args)).to.include('8080');
    expect((JSON.parse(finalOf('ENTRYPOINT').at(-1)!.args) as string[]).slice(-2)).to.deep.equal(['node', 'dist/cli.js']);
    expect(JSON.parse(finalOf('CMD').at(-1)!.args)).to.deep.equal(['serve']);
    const env = finalOf('ENV').map((i) => i.args).join(' ');
    expect(env).to.match(/SWITCHYARD_CONFIG=\/etc\/switchyard\/gateway\.d/);
    expect(finalOf('COPY').map((i) => i.args)).to.include('gateway.d /etc/switchyard/gateway.d');
    expect(finalOf('VOLUME').length, 'a usage volume').to.be.greaterThan(0);
    // dist/cli.js is what tsc makes of src/cli.ts.
    expect(existsSync(join(root, 'src', 'cli.ts'))).to.equal(true);
    // ESM: the runtime needs package.json ("type": "module") next to dist/.
    expect(finalOf('COPY').some((i) => /^package\.json\s/.test(i.args))).to.equal(true);
  });

  it('COPYs only files that exist and that .dockerignore lets through', () => {
    const sources = stages.flatMap((s) => s.instructions)
      .filter((i) => (i.keyword === 'COPY' || i.keyword === 'ADD') && !i.args.includes('--from='))
      .flatMap((i) => copySources(i.args));
    expect(sources.length).to.be.greaterThan(3);
    for (const source of sources) {
      expect(existsSync(join(root, source)), `${source} exists`).to.equal(true);
      expect(ignored(source.replace(/^\.\//, '').replace(/\/$/, ''), dockerignore), `${source} not in .dockerignore`).to.equal(false);
    }
  });

  it('keeps local builds, secrets and git history out of the build context', () => {
    for (const path of ['node_modules', '.git', 'dist', '.tools', 'usage', '.env']) {
      expect(ignored(path, dockerignore), path).to.equal(true);
    }
  });
});
