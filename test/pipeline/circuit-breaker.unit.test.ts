// Per-member circuit breakers driven by an injected clock: closed -> open
// after `failures` inside the window, half-open after the cooldown with one
// trial, closed again on its success, open for a full cooldown on its failure.

import { expect } from 'chai';
import { CircuitBreakers } from '../../src/pipeline/circuit-breaker.ts';

const policy = { failures: 3, windowMs: 10_000, cooldownMs: 30_000 };
const T = 'a/m';

function breakers() {
  let now = 1_000_000;
  const events: Array<[string, boolean]> = [];
  const b = new CircuitBreakers((target, open) => events.push([target, open]), () => now);
  return { b, events, advance: (ms: number) => { now += ms; }, now: () => now };
}

function trip(b: CircuitBreakers, at?: number): void {
  for (let i = 0; i < policy.failures; i++) b.recordFailure(T, policy, at);
}

describe('circuit breaker', () => {
  it('an unknown member is closed and available', () => {
    const { b } = breakers();
    expect(b.state(T)).to.equal('closed');
    expect(b.isAvailable(T)).to.equal(true);
    expect(b.tryAcquire(T)).to.equal(true);
    expect(b.openUntil(T)).to.equal(0);
  });

  it('opens on the failures-th failure inside the window and tells the listener once', () => {
    const { b, events, now } = breakers();
    b.recordFailure(T, policy);
    b.recordFailure(T, policy);
    expect(b.state(T)).to.equal('closed');
    b.recordFailure(T, policy);
    expect(b.state(T)).to.equal('open');
    expect(b.openUntil(T)).to.equal(now() + policy.cooldownMs);
    expect(b.tryAcquire(T)).to.equal(false);
    expect(b.isAvailable(T)).to.equal(false);
    expect(events).to.deep.equal([[T, true]]);
  });

  it('forgets failures older than the window', () => {
    const { b, advance } = breakers();
    b.recordFailure(T, policy);
    b.recordFailure(T, policy);
    advance(policy.windowMs + 1);
    b.recordFailure(T, policy);
    expect(b.state(T)).to.equal('closed');
    b.recordFailure(T, policy);
    expect(b.state(T)).to.equal('closed');
    b.recordFailure(T, policy);
    expect(b.state(T)).to.equal('open');
  });

  it('a failure exactly at the window edge still counts', () => {
    const { b, advance } = breakers();
    b.recordFailure(T, policy);
    b.recordFailure(T, policy);
    advance(policy.windowMs);
    b.recordFailure(T, policy);
    expect(b.state(T)).to.equal('open');
  });

  it('a success resets the count', () => {
    const { b } = breakers();
    b.recordFailure(T, policy);
    b.recordFailure(T, policy);
    b.recordSuccess(T);
    b.recordFailure(T, policy);
    b.recordFailure(T, policy);
    expect(b.state(T)).to.equal('closed');
  });

  it('half-open after the cooldown lets exactly one trial through', () => {
    const { b, advance } = breakers();
    trip(b);
    advance(policy.cooldownMs - 1);
    expect(b.state(T)).to.equal('open');
    expect(b.tryAcquire(T)).to.equal(false);
    advance(1);
    expect(b.state(T)).to.equal('half_open');
    expect(b.isAvailable(T)).to.equal(true);
    expect(b.isAvailable(T), 'a dry run claims nothing').to.equal(true);
    expect(b.tryAcquire(T)).to.equal(true);
    expect(b.tryAcquire(T), 'the trial is taken').to.equal(false);
    expect(b.isAvailable(T)).to.equal(false);
  });

  it('a successful trial closes the circuit and tells the listener', () => {
    const { b, events, advance } = breakers();
    trip(b);
    advance(policy.cooldownMs);
    expect(b.tryAcquire(T)).to.equal(true);
    b.recordSuccess(T);
    expect(b.state(T)).to.equal('closed');
    expect(b.tryAcquire(T)).to.equal(true);
    expect(b.tryAcquire(T)).to.equal(true);
    expect(events).to.deep.equal([[T, true], [T, false]]);
  });

  it('a failed trial opens again for a full cooldown without a second open event', () => {
    const { b, events, advance, now } = breakers();
    trip(b);
    advance(policy.cooldownMs + 5_000);
    expect(b.tryAcquire(T)).to.equal(true);
    b.recordFailure(T, policy);
    expect(b.state(T)).to.equal('open');
    expect(b.openUntil(T)).to.equal(now() + policy.cooldownMs);
    advance(policy.cooldownMs);
    expect(b.tryAcquire(T)).to.equal(true);
    expect(events).to.deep.equal([[T, true]]);
  });

  it('a released trial (client abort) frees the claim for the next request', () => {
    const { b, advance } = breakers();
    trip(b);
    advance(policy.cooldownMs);
    expect(b.tryAcquire(T)).to.equal(true);
    b.releaseTrial(T);
    expect(b.state(T)).to.equal('half_open');
    expect(b.tryAcquire(T)).to.equal(true);
  });

  it('a straggler failing while open pushes the cooldown out', () => {
    const { b, advance, now } = breakers();
    trip(b);
    advance(10_000);
    b.recordFailure(T, policy);
    expect(b.openUntil(T)).to.equal(now() + policy.cooldownMs);
  });

  it('a success on a closed circuit does not tell the listener', () => {
    const { b, events } = breakers();
    b.recordSuccess(T);
    b.recordFailure(T, policy);
    b.recordSuccess(T);
    expect(events).to.deep.equal([]);
  });

  it('members are independent; the thresholds are read at each decision (a reload applies next time)', () => {
    const { b } = breakers();
    trip(b);
    expect(b.state('b/m')).to.equal('closed');
    const strict = { ...policy, failures: 1 };
    b.recordFailure('b/m', strict);
    expect(b.state('b/m')).to.equal('open');
  });

  it('an explicit now overrides the clock (status and explain pass one)', () => {
    const { b, now } = breakers();
    trip(b);
    expect(b.state(T, now() + policy.cooldownMs)).to.equal('half_open');
    expect(b.state(T)).to.equal('open');
  });
});
