// The health-only listener (SWITCHYARD_HEALTH_PORT / --health-port) and
// `switchyard probe`: what a sidecar bound to loopback offers the kubelet.
// The listener answers /healthz and /readyz exactly as the main port does and
// nothing else; the probe command exits 0 on a 2xx and 1 otherwise.

import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startGateway, type Gateway } from '../../src/gateway.ts';
import { keysYaml } from '../support/test-gateway.ts';

const exec = promisify(execFile);

async function get(url: string): Promise<{ status: number; body: string }> {
  const res = await fetch(url);
  return { status: res.status, body: await res.text() };
}

describe('health listener and `switchyard probe`', () => {
  let root = '';
  let gateway: Gateway | undefined;

  afterEach(async () => {
    await gateway?.shutdown();
    gateway = undefined;
    if (root) await rm(root, { recursive: true, force: true });
  });

  async function start(files: Record<string, string>): Promise<Gateway> {
    root = await mkdtemp(join(tmpdir(), 'switchyard-health-'));
    await writeFile(join(root, '00-settings.yaml'), `settings:\n  usage: { dir: ${JSON.stringify(join(root, 'usage'))} }\n  shutdown: { drain_ms: 500 }\n  log: { level: error }\n`);
    for (const [name, text] of Object.entries(files)) await writeFile(join(root, name), text);
    gateway = await startGateway({ configDir: root, host: '127.0.0.1', port: 0, healthPort: 0, healthHost: '127.0.0.1', watch: false });
    return gateway;
  }

  it('serves /healthz and /readyz on the health port and 404 for everything else', async () => {
    const gw = await start({
      '10-providers.yaml': 'providers:\n  demo: { type: mock, models: { echo: {} } }\ngroups:\n  demo: { strategy: failover, members: [{ target: demo/echo }] }\n',
      '20-keys.yaml': keysYaml(['demo']),
    });
    expect(gw.healthPort).to.be.a('number');
    const health = `http://127.0.0.1:${gw.healthPort}`;
    expect((await get(`${health}/healthz`)).status).to.equal(200);
    const ready = await get(`${health}/readyz`);
    expect(ready.status).to.equal(200);
    expect(JSON.parse(ready.body)).to.deep.include({ status: 'ready' });
    for (const path of ['/metrics', '/status', '/v1/models', '/-/reload']) expect((await get(`${health}${path}`)).status, path).to.equal(404);
    const post = await fetch(`${health}/readyz`, { method: 'POST' });
    expect(post.status).to.equal(404);
  });

  it('says not ready on the health port while the config is invalid', async () => {
    const gw = await start({ '10-providers.yaml': 'providers:\n  broken: { type: no-such-type }\n' });
    expect((await get(`http://127.0.0.1:${gw.healthPort}/healthz`)).status).to.equal(200);
    expect((await get(`http://127.0.0.1:${gw.healthPort}/readyz`)).status).to.equal(503);
  });

  it('probe exits 0 on 2xx and 1 on 503 or a closed port', async () => {
    const gw = await start({ '10-providers.yaml': 'providers:\n  broken: { type: no-such-type }\n' });
    const cli = ['src/cli.ts', 'probe'];
    const ok = await exec(process.execPath, [...cli, '/healthz', '--port', String(gw.healthPort)]);
    expect(ok.stdout).to.include('/healthz: 200');
    const notReady = await exec(process.execPath, [...cli, '/readyz', '--port', String(gw.port)]).then(() => expect.fail('exit 1'), (e: { code: number; stderr: string }) => e);
    expect(notReady.code).to.equal(1);
    expect(notReady.stderr).to.include('503');
    const closed = await exec(process.execPath, [...cli, '--port', '1', '--timeout-ms', '500']).then(() => expect.fail('exit 1'), (e: { code: number }) => e);
    expect(closed.code).to.equal(1);
  });
});
