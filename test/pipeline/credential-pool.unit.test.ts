// Credential rotation and cool-downs on an injected clock.

import { expect } from 'chai';
import { CredentialPools } from '../../src/pipeline/credential-pool.ts';

function pools() {
  let now = 5_000_000;
  const p = new CredentialPools(() => now);
  return { p, advance: (ms: number) => { now += ms; }, now: () => now };
}

describe('credential pool', () => {
  it('rotates round-robin per provider', () => {
    const { p } = pools();
    expect([0, 1, 2, 3].map(() => p.pick('openai', 3))).to.deep.equal([0, 1, 2, 0]);
    expect(p.pick('azure', 2)).to.equal(0);
    expect(p.pick('openai', 3)).to.equal(1);
  });

  it('a provider without credentials has none to pick', () => {
    expect(pools().p.pick('mock', 0)).to.equal(-1);
  });

  it('skips a cooling credential and takes it back once the cool-down ends', () => {
    const { p, advance } = pools();
    p.coolDown('openai', 1, 10_000);
    expect([0, 1, 2].map(() => p.pick('openai', 3))).to.deep.equal([0, 2, 0]);
    advance(9_999);
    expect(p.pick('openai', 3)).to.equal(2);
    advance(1);
    expect(p.pick('openai', 3)).to.equal(0);
    expect(p.pick('openai', 3)).to.equal(1);
  });

  it('answers -1 while every credential cools, without moving the rotation', () => {
    const { p, advance } = pools();
    p.pick('openai', 2);
    p.coolDown('openai', 0, 1_000);
    p.coolDown('openai', 1, 2_000);
    expect(p.pick('openai', 2)).to.equal(-1);
    advance(1_000);
    expect(p.pick('openai', 2)).to.equal(0);
  });

  it('a later cool-down replaces the earlier one', () => {
    const { p, advance, now } = pools();
    p.coolDown('openai', 0, 60_000);
    p.coolDown('openai', 0, 1_000);
    expect(p.coolingDown('openai')).to.deep.equal(new Map([[0, now() + 1_000]]));
    advance(1_000);
    expect(p.pick('openai', 1)).to.equal(0);
  });

  it('coolingDown lists only running cool-downs, by index', () => {
    const { p, advance, now } = pools();
    const start = now();
    p.coolDown('openai', 0, 1_000);
    p.coolDown('openai', 2, 5_000);
    expect(p.coolingDown('openai')).to.deep.equal(new Map([[0, start + 1_000], [2, start + 5_000]]));
    advance(1_000);
    expect(p.coolingDown('openai')).to.deep.equal(new Map([[2, start + 5_000]]));
    expect(p.coolingDown('nobody')).to.deep.equal(new Map());
  });

  it('survives the pool shrinking under a reload (index past the end)', () => {
    const { p } = pools();
    p.pick('openai', 3);
    p.pick('openai', 3);
    p.pick('openai', 3); // next would be 0 of 3
    p.pick('openai', 3); // next 1
    p.pick('openai', 3); // next 2
    expect(p.pick('openai', 2)).to.equal(0);
  });
});
