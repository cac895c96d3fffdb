// The real agent CLIs, unmodified and pinned, through a running gateway, run
// the way their READMEs say: Claude Code (`claude -p`, ANTHROPIC_BASE_URL)
// and Codex (`codex exec`, a config.toml model provider with wire_api
// "responses"). HOME and config folders are temporary; telemetry, updates
// and error reports are off. Upstreams are fakes as strict as the real APIs
// (fake-anthropic.ts, fake-openai.ts); with the built-in mock each CLI runs a
// real tool round trip: the mock calls the first tool offered, the CLI runs
// it and sends the result, and the mock answers "Tool result: ...".
//
// The CLIs are large (native binaries, ~800 MB together), so this suite is
// its own target: `make test-clients` (CI runs it after `make test`). They
// are installed from the npm registry into .tools/clis on first run; when
// that is impossible the suite is skipped and says why.

import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { startFakeAnthropic } from '../support/fake-anthropic.ts';
import { startFakeOpenAI } from '../support/fake-openai.ts';
import type { FakeUpstream } from '../support/fake-upstream.ts';
import { keysYaml, startTestGateway, TEST_TOKEN, type TestGateway } from '../support/test-gateway.ts';

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '../..');
const prefix = join(root, '.tools', 'clis');
/** The versions the README's "tested with" table names. */
export const AGENT_CLIS = { '@anthropic-ai/claude-code': '2.1.332', '@openai/codex': '0.171.0' };
const bin = (name: string) => join(prefix, 'node_modules', '.bin', name);
// Codex refuses to set up its helpers under /tmp; /var/tmp is fine.
const scratch = existsSync('/var/tmp') ? '/var/tmp' : undefined;

async function ensureClis(): Promise<string | undefined> {
  try {
    if (!existsSync(bin('claude')) || !existsSync(bin('codex'))) {
      const wanted = Object.entries(AGENT_CLIS).map(([name, version]) => `${name}@${version}`);
      await run('npm', ['install', '--no-save', '--no-audit', '--no-fund', '--prefix', prefix, ...wanted], { timeout: 540_000 });
    }
    await run(bin('claude'), ['--version'], { timeout: 30_000 });
    await run(bin('codex'), ['--version'], { timeout: 30_000 });
    return undefined;
  } catch (err) {
    return `agent CLIs unavailable here: ${(err as Error).message.split('\n')[0]}`;
  }
}

describe('real agent CLIs through the gateway (Claude Code, Codex)', function () {
  this.timeout(600_000);
  let anthropic: FakeUpstream;
  let openai: FakeUpstream;
  let gw: TestGateway;
  const homes: string[] = [];

  before(async function () {
    const reason = await ensureClis();
    if (reason) { console.log(`      skipped: ${reason}`); this.skip(); }
    process.env.SY_CLI_ANTHROPIC = 'an-cli-upstream-key-01';
    process.env.SY_CLI_OPENAI = 'oa-cli-upstream-key-02';
    anthropic = await startFakeAnthropic(() => ({ content: [{ type: 'text', text: 'hello from fake claude' }], stop_reason: 'end_turn', usage: { input_tokens: 9, output_tokens: 4 } }), { apiKey: 'an-cli-upstream-key-01' });
    openai = await startFakeOpenAI({ 'gpt-4o': { reasoning: false, maxCompletionTokens: 16384 } }, () => 'hello from fake openai');
    gw = await startTestGateway({
      '10-providers.yaml': `providers:
  an:
    type: anthropic
    base_url: ${anthropic.url}
    api_keys: ["\${SY_CLI_ANTHROPIC}"]
    models: { claude-sonnet-4-5: {} }
  oa:
    type: openai
    base_url: ${openai.url}/v1
    api_keys: ["\${SY_CLI_OPENAI}"]
    models: { gpt-4o: { max_output_tokens: 16384 } }
  demo:
    type: mock
    models: { echo: {} }
`,
      '20-groups.yaml': 'groups:\n  coding: { members: [{ target: an/claude-sonnet-4-5 }] }\n',
      'keys/test.yaml': keysYaml(['*']),
    });
  });
  after(async () => {
    await gw?.close(); await anthropic?.close(); await openai?.close();
    for (const home of homes) await rm(home, { recursive: true, force: true });
  });

  const tempHome = async (prefixName: string) => {
    const home = await mkdtemp(join(scratch ?? root, prefixName));
    homes.push(home);
    return home;
  };

  async function claude(model: string): Promise<string> {
    const home = await tempHome('sy-claude-');
    const { stdout } = await run('/bin/sh', ['-c', `"${bin('claude')}" -p "say hi" --model "${model}" </dev/null`], {
      cwd: home, timeout: 180_000,
      env: {
        PATH: process.env.PATH!, HOME: home, CLAUDE_CONFIG_DIR: join(home, '.claude'),
        ANTHROPIC_BASE_URL: gw.url, ANTHROPIC_API_KEY: TEST_TOKEN,
        CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1', DISABLE_TELEMETRY: '1', DISABLE_AUTOUPDATER: '1', DISABLE_ERROR_REPORTING: '1',
      },
    });
    return stdout.trim();
  }

  async function codex(model: string): Promise<string> {
    const home = await tempHome('sy-codex-');
    await mkdir(join(home, '.codex'), { recursive: true });
    // The README's Codex settings, plus what keeps a test run quiet and non-interactive.
    await writeFile(join(home, '.codex', 'config.toml'), `model = "${model}"
model_provider = "switchyard"
approval_policy = "never"
sandbox_mode = "danger-full-access"
check_for_update_on_startup = false

[analytics]
enabled = false

[otel]
exporter = "none"

[model_providers.switchyard]
name = "Switchyard"
base_url = "${gw.url}/v1"
env_key = "SWITCHYARD_API_KEY"
wire_api = "responses"
request_max_retries = 0
stream_max_retries = 0
`);
    const { stdout } = await run('/bin/sh', ['-c', `"${bin('codex')}" exec --skip-git-repo-check "say hi" </dev/null`], {
      cwd: home, timeout: 180_000,
      env: { PATH: process.env.PATH!, HOME: home, CODEX_HOME: join(home, '.codex'), SWITCHYARD_API_KEY: TEST_TOKEN },
    });
    return stdout.trim();
  }

  it('Claude Code -> a group on an anthropic provider (pass-through, its betas forwarded)', async () => {
    expect(await claude('coding')).to.include('hello from fake claude');
    const seen = anthropic.requests.at(-1)!;
    expect(seen.headers['anthropic-beta']).to.include('context-management-2025-06-27');
    expect(seen.json).to.have.property('context_management');
  });

  it('Claude Code -> gpt-4o on an openai provider (translated; the strict fake refuses what OpenAI refuses)', async () => {
    expect(await claude('oa/gpt-4o')).to.include('hello from fake openai');
    const seen = openai.requests.at(-1)!.json;
    expect(seen).not.to.have.property('reasoning_effort');
    expect(seen.max_completion_tokens).to.be.at.most(16384);
  });

  it('Claude Code -> the mock: a tool round trip run by the CLI itself', async () => {
    expect(await claude('demo/echo')).to.match(/^Tool result: /);
  });

  it('Codex -> gpt-4o on an openai provider (Responses translated to Chat; namespace and custom tools offered as functions)', async () => {
    expect(await codex('oa/gpt-4o')).to.include('hello from fake openai');
    const tools = openai.requests.at(-1)!.json.tools as { type: string; function: { name: string } }[];
    expect(tools.every((t) => t.type === 'function')).to.equal(true);
  });

  it('Codex -> an anthropic provider', async () => {
    expect(await codex('an/claude-sonnet-4-5')).to.include('hello from fake claude');
  });

  it('Codex -> the mock: a tool round trip run by the CLI itself', async () => {
    expect(await codex('demo/echo')).to.match(/Tool result: /);
  });
});
