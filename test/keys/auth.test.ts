// Client keys as callers meet them: the token read from every source the
// contract names, each key state answered in the caller's own protocol, and
// revocation landing with the next reload of the config folder.

import { expect } from 'chai';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { Ollama } from 'ollama';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startTestGateway, type TestGateway } from '../support/test-gateway.ts';
import { bearer, call, chatBody, readUsage, sha256, sleep, TOKENS, until, type Answer } from './support.ts';

const providers = `providers:
  demo:
    type: mock
    models: { echo: {} }
`;

const inAMinute = () => new Date(Date.now() + 60_000).toISOString();
const aMinuteAgo = () => new Date(Date.now() - 60_000).toISOString();
const today = () => new Date().toISOString().slice(0, 10);

function keys(): string {
  return `keys:
  team:
    sha256: ${sha256(TOKENS.team)}
    models: ["*"]
    expires: 2999-12-31
  disabled-team:
    sha256: ${sha256(TOKENS.disabled)}
    models: ["*"]
    disabled: true
  expired-by-date:
    sha256: ${sha256(TOKENS.expiredDate)}
    models: ["*"]
    expires: 2020-01-31
  expired-by-timestamp:
    sha256: ${sha256(TOKENS.expiredTimestamp)}
    models: ["*"]
    expires: "${aMinuteAgo()}"
`;
}

/** The three inbound protocols, each with one model request and how its errors look. */
const protocols = {
  openai: {
    path: '/v1/chat/completions',
    body: chatBody('demo/echo'),
    message: (a: Answer) => {
      expect(a.json, a.text).to.have.all.keys('error');
      expect(a.json.error).to.include({ type: 'authentication_error', code: 'invalid_api_key' });
      return a.json.error.message as string;
    },
  },
  anthropic: {
    path: '/v1/messages',
    body: { model: 'demo/echo', max_tokens: 16, messages: [{ role: 'user', content: 'hello' }] },
    message: (a: Answer) => {
      expect(a.json, a.text).to.have.all.keys('type', 'error');
      expect(a.json.type).to.equal('error');
      expect(a.json.error.type).to.equal('authentication_error');
      return a.json.error.message as string;
    },
  },
  ollama: {
    path: '/api/chat',
    body: { model: 'demo/echo', stream: false, messages: [{ role: 'user', content: 'hello' }] },
    message: (a: Answer) => {
      expect(a.json, a.text).to.have.all.keys('error');
      expect(a.json.error).to.be.a('string');
      return a.json.error as string;
    },
  },
} as const;

describe('client keys: sources, states, revocation (gateway in-process)', function () {
  this.timeout(20_000);
  let gw: TestGateway | undefined;

  afterEach(async () => {
    await gw?.close();
    gw = undefined;
  });

  async function start(watch = false): Promise<TestGateway> {
    gw = await startTestGateway({ '10-providers.yaml': providers, 'keys/team.yaml': keys() }, { watch, debounceMs: 30 });
    return gw;
  }

  describe('every source of the token', () => {
    beforeEach(async () => { await start(); });

    const sources: [string, (token: string) => { path?: string; query?: string; headers?: Record<string, string> }][] = [
      ['Authorization: Bearer', (t) => ({ headers: bearer(t) })],
      ['Authorization: bearer (any case)', (t) => ({ headers: { authorization: `bearer ${t}` } })],
      ['x-api-key', (t) => ({ headers: { 'x-api-key': t } })],
      ['api-key', (t) => ({ headers: { 'api-key': t } })],
      ['?key=', (t) => ({ query: `?key=${encodeURIComponent(t)}` })],
      ['?api_key=', (t) => ({ query: `?api_key=${encodeURIComponent(t)}` })],
    ];

    for (const [name, place] of sources) {
      it(`accepts the key from ${name}, and an unknown token there is "invalid", not "missing"`, async () => {
        const good = place(TOKENS.team);
        const ok = await call(`${gw!.url}/v1/chat/completions${good.query ?? ''}`, { headers: good.headers, body: chatBody('demo/echo', 'via source') });
        expect(ok.status, ok.text).to.equal(200);
        expect(ok.json.choices[0].message.content).to.equal('You said: via source');

        const bad = place(TOKENS.unknown);
        const refused = await call(`${gw!.url}/v1/chat/completions${bad.query ?? ''}`, { headers: bad.headers, body: chatBody('demo/echo') });
        expect(refused.status).to.equal(401);
        expect(protocols.openai.message(refused)).to.match(/invalid API key/i);
      });
    }

    it('accepts the key from the /ollama/{key}/ path on tags and chat, and refuses an unknown one there in the Ollama shape', async () => {
      const base = `${gw!.url}/ollama/${TOKENS.team}`;
      const tags = await call(`${base}/api/tags`);
      expect(tags.status, tags.text).to.equal(200);
      expect(tags.json.models.map((m: { name: string }) => m.name)).to.include('demo/echo');
      const chat = await call(`${base}/api/chat`, { body: protocols.ollama.body });
      expect(chat.status, chat.text).to.equal(200);
      expect(chat.json.message.content).to.equal('You said: hello');

      const refused = await call(`${gw!.url}/ollama/${TOKENS.unknown}/api/tags`);
      expect(refused.status).to.equal(401);
      expect(protocols.ollama.message(refused)).to.match(/invalid API key/i);
    });

    it('the /ollama/{key} path wins over an Authorization header meant for someone else (the ollama client sends OLLAMA_API_KEY)', async () => {
      // ollama-js adds `Authorization: Bearer $OLLAMA_API_KEY` whenever that variable is set (Ollama cloud users).
      const ollama = new Ollama({ host: `${gw!.url}/ollama/${TOKENS.team}`, headers: { Authorization: 'Bearer ollama-cloud-key-0123456789abcdef' } });
      const listed = await ollama.list();
      expect(listed.models.map((m) => m.name)).to.include('demo/echo');
      const chat = await call(`${gw!.url}/ollama/${TOKENS.team}/api/chat`, { headers: { 'x-api-key': 'some-other-key' }, body: protocols.ollama.body });
      expect(chat.status, chat.text).to.equal(200);
      // The path names the key: a wrong one there is refused even with a valid header.
      const wrongPath = await call(`${gw!.url}/ollama/${TOKENS.unknown}/api/tags`, { headers: bearer(TOKENS.team) });
      expect(wrongPath.status).to.equal(401);
    });

    it('works with each official client the way it sends its key', async () => {
      const openai = new OpenAI({ apiKey: TOKENS.team, baseURL: `${gw!.url}/v1`, maxRetries: 0 });
      const reply = await openai.chat.completions.create({ model: 'demo/echo', messages: [{ role: 'user', content: 'from openai' }] });
      expect(reply.choices[0]!.message.content).to.equal('You said: from openai');

      const anthropic = new Anthropic({ apiKey: TOKENS.team, baseURL: gw!.url, maxRetries: 0 });
      const message = await anthropic.messages.create({ model: 'demo/echo', max_tokens: 32, messages: [{ role: 'user', content: 'from anthropic' }] });
      expect(message.content[0]).to.deep.include({ type: 'text', text: 'You said: from anthropic' });

      const ollama = new Ollama({ host: `${gw!.url}/ollama/${TOKENS.team}` });
      const listed = await ollama.list();
      expect(listed.models.map((m) => m.name)).to.include('demo/echo');
    });
  });

  describe('every key state, in each caller protocol', () => {
    beforeEach(async () => { await start(); });

    const states: [string, Record<string, string>, RegExp][] = [
      ['missing', {}, /missing API key/i],
      ['unknown', bearer(TOKENS.unknown), /invalid API key/i],
      ['disabled', bearer(TOKENS.disabled), /disabled/i],
      ['expired (expires: a past date)', bearer(TOKENS.expiredDate), /expired/i],
      ['expired (expires: a past timestamp)', bearer(TOKENS.expiredTimestamp), /expired/i],
    ];

    for (const [protocol, spec] of Object.entries(protocols)) {
      for (const [state, headers, wording] of states) {
        it(`${protocol}: a ${state} key gets 401 in the ${protocol} error shape, naming no token`, async () => {
          const a = await call(`${gw!.url}${spec.path}`, { headers, body: spec.body });
          expect(a.status, a.text).to.equal(401);
          const message = spec.message(a);
          expect(message).to.match(wording);
          for (const token of Object.values(TOKENS)) expect(a.text).to.not.contain(token);
          expect(a.headers.get('x-request-id')).to.be.a('string').and.not.empty;
        });
      }
    }

    it('a valid key (expiring in 2999) is served on every protocol', async () => {
      for (const spec of Object.values(protocols)) {
        const a = await call(`${gw!.url}${spec.path}`, { headers: bearer(TOKENS.team), body: spec.body });
        expect(a.status, `${spec.path}: ${a.text}`).to.equal(200);
      }
    });

    it('GET routes refuse too: /v1/models (OpenAI shape), /api/tags (Ollama shape), /status', async () => {
      const models = await call(`${gw!.url}/v1/models`, { headers: bearer(TOKENS.disabled) });
      expect(models.status).to.equal(401);
      expect(protocols.openai.message(models)).to.match(/disabled/);
      const tags = await call(`${gw!.url}/api/tags`, { headers: bearer(TOKENS.expiredDate) });
      expect(tags.status).to.equal(401);
      expect(protocols.ollama.message(tags)).to.match(/expired/);
      expect((await call(`${gw!.url}/status`)).status).to.equal(401);
      // /healthz, /readyz and /metrics need no key.
      for (const path of ['/healthz', '/readyz', '/metrics']) expect((await call(`${gw!.url}${path}`)).status, path).to.equal(200);
    });

    it('the official SDKs raise their authentication errors', async () => {
      const openai = new OpenAI({ apiKey: TOKENS.expiredTimestamp, baseURL: `${gw!.url}/v1`, maxRetries: 0 });
      const e1 = await openai.models.list().catch((e: unknown) => e);
      expect(e1).to.be.instanceOf(OpenAI.AuthenticationError);
      const anthropic = new Anthropic({ apiKey: TOKENS.disabled, baseURL: gw!.url, maxRetries: 0 });
      const e2 = await anthropic.messages.create({ model: 'demo/echo', max_tokens: 8, messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
      expect(e2).to.be.instanceOf(Anthropic.AuthenticationError);
      expect((e2 as InstanceType<typeof Anthropic.AuthenticationError>).error).to.deep.include({ type: 'error' });
      const ollama = new Ollama({ host: `${gw!.url}/ollama/${TOKENS.unknown}` });
      const e3 = await ollama.chat({ model: 'demo/echo', messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e) as { status_code?: number; error?: string };
      expect(e3.status_code).to.equal(401);
      expect(e3.error).to.match(/invalid API key/i);
    });

    it('a refused key writes no usage line (only authenticated requests are recorded)', async () => {
      await call(`${gw!.url}/v1/chat/completions`, { headers: bearer(TOKENS.unknown), body: chatBody('demo/echo') });
      const ok = await call(`${gw!.url}/v1/chat/completions`, { headers: bearer(TOKENS.team), body: chatBody('demo/echo') });
      expect(ok.status).to.equal(200);
      const lines = await until(async () => { const l = await readUsage(gw!.usageDir); return l.length > 0 && l; }, 'a usage line');
      await sleep(120); // two flush intervals: a line for the 401 would have landed by now
      expect((await readUsage(gw!.usageDir)).map((l) => l.key)).to.deep.equal(['team']);
      expect(lines[0].status).to.equal(200);
    });
  });

  describe('expiry boundaries', () => {
    it('a key expiring today (a date) still works; one expiring in a minute works; one that expired a minute ago does not', async () => {
      const soon = 'sk-sy-soon-0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c';
      const todays = 'sk-sy-today-1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b';
      gw = await startTestGateway({
        '10-providers.yaml': providers,
        'keys/team.yaml': `${keys()}  soon:
    sha256: ${sha256(soon)}
    models: ["*"]
    expires: "${inAMinute()}"
  todays:
    sha256: ${sha256(todays)}
    models: ["*"]
    expires: "${today()}"
`,
      });
      for (const token of [soon, todays]) {
        const a = await call(`${gw.url}/v1/models`, { headers: bearer(token) });
        expect(a.status, a.text).to.equal(200);
      }
      expect((await call(`${gw.url}/v1/models`, { headers: bearer(TOKENS.expiredTimestamp) })).status).to.equal(401);
    });
  });

  describe('revocation by reload (watch: true)', () => {
    /**
     * Edits the folder until the watcher reloads once: startGateway resolves
     * before the watcher has finished its first scan (see the skipped test below),
     * so the first edit after start may go unseen.
     */
    async function watcherLive(g: TestGateway): Promise<void> {
      const before = g.gateway.store.current()!.version;
      for (let i = 0; i < 100; i++) {
        await writeFile(join(g.dir, 'zz-probe.yaml'), `# probe ${i}\nkeys: {}\n`);
        for (let j = 0; j < 10; j++) {
          await sleep(20);
          if (g.gateway.store.current()!.version !== before) return;
        }
      }
      throw new Error('the config watcher never reloaded');
    }

    // Regression: the gateway once served before chokidar's first scan ended,
    // so a key file deleted in that moment was never noticed.
    it('a key file deleted right after the gateway starts is revoked (watcher ready before serving)', async () => {
      await start(true);
      await rm(join(gw!.dir, 'keys/team.yaml'));
      await until(async () => (await call(`${gw!.url}/v1/models`, { headers: bearer(TOKENS.team) })).status === 401, 'the deleted key to be refused', 100);
    });

    it('deleting a key file revokes that key at the next reload; other keys keep working', async () => {
      await start(true);
      await watcherLive(gw!);
      const revoked = 'sk-sy-leaving-team-a0b1c2d3e4f5061728394a5b6c7d8e9fa0b1c2d3';
      await writeFile(join(gw!.dir, 'keys/leaving.yaml'), `keys:\n  leaving:\n    sha256: ${sha256(revoked)}\n    models: ["*"]\n`);
      await until(async () => (await call(`${gw!.url}/v1/models`, { headers: bearer(revoked) })).status === 200, 'the new key to load');

      await rm(join(gw!.dir, 'keys/leaving.yaml'));
      const refused = await until(async () => {
        const a = await call(`${gw!.url}/v1/chat/completions`, { headers: bearer(revoked), body: chatBody('demo/echo') });
        return a.status === 401 && a;
      }, 'the deleted key to be refused');
      expect(protocols.openai.message(refused)).to.match(/invalid API key/i);
      const anthropic = await call(`${gw!.url}/v1/messages`, { headers: { 'x-api-key': revoked }, body: protocols.anthropic.body });
      expect(anthropic.status).to.equal(401);
      protocols.anthropic.message(anthropic);
      const ollama = await call(`${gw!.url}/ollama/${revoked}/api/tags`);
      expect(ollama.status).to.equal(401);
      protocols.ollama.message(ollama);

      expect((await call(`${gw!.url}/v1/models`, { headers: bearer(TOKENS.team) })).status).to.equal(200);
    });

    it('setting disabled: true revokes a key at the next reload', async () => {
      await start(true);
      await watcherLive(gw!);
      await writeFile(join(gw!.dir, 'keys/team.yaml'), keys().replace('    expires: 2999-12-31\n', '    expires: 2999-12-31\n    disabled: true\n'));
      const refused = await until(async () => {
        const a = await call(`${gw!.url}/api/tags`, { headers: bearer(TOKENS.team) });
        return a.status === 401 && a;
      }, 'the disabled key to be refused');
      expect(protocols.ollama.message(refused)).to.match(/disabled/);
    });
  });
});
