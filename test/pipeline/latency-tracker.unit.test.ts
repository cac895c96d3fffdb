// Moving averages behind least-latency routing and /status.

import { expect } from 'chai';
import { LatencyTracker } from '../../src/pipeline/latency-tracker.ts';

describe('latency tracker', () => {
  it('an unmeasured member scores 0 so it gets tried, and has no stats', () => {
    const t = new LatencyTracker();
    expect(t.score('a/m')).to.equal(0);
    expect(t.get('a/m')).to.equal(undefined);
  });

  it('the first sample is taken as is', () => {
    const t = new LatencyTracker();
    t.record('a/m', 120, true);
    expect(t.get('a/m')).to.deep.equal({ latencyMs: 120, errorRate: 0 });
    expect(t.score('a/m')).to.equal(120);
  });

  it('moves 20% of the way to each new sample', () => {
    const t = new LatencyTracker();
    t.record('a/m', 100, true);
    t.record('a/m', 200, true);
    expect(t.get('a/m')!.latencyMs).to.be.closeTo(120, 1e-9);
    t.record('a/m', 20, true);
    expect(t.get('a/m')!.latencyMs).to.be.closeTo(100, 1e-9);
  });

  it('a failure moves the error rate, not the latency, and costs 5 s in the score', () => {
    const t = new LatencyTracker();
    t.record('a/m', 100, true);
    t.record('a/m', 30_000, false);
    expect(t.get('a/m')!.latencyMs).to.equal(100);
    expect(t.get('a/m')!.errorRate).to.be.closeTo(0.2, 1e-9);
    expect(t.score('a/m')).to.be.closeTo(100 + 0.2 * 5_000, 1e-9);
  });

  it('a member whose first sample failed starts at error rate 1 with that sample as latency', () => {
    const t = new LatencyTracker();
    t.record('a/m', 50, false);
    expect(t.get('a/m')).to.deep.equal({ latencyMs: 50, errorRate: 1 });
    expect(t.score('a/m')).to.equal(5_050);
  });

  it('recent behaviour dominates: a recovered member wins back its rank', () => {
    const t = new LatencyTracker();
    for (let i = 0; i < 5; i++) t.record('a/m', 40, false);
    for (let i = 0; i < 5; i++) t.record('b/m', 300, true);
    expect(t.score('a/m')).to.be.greaterThan(t.score('b/m'));
    for (let i = 0; i < 20; i++) t.record('a/m', 40, true);
    expect(t.score('a/m')).to.be.lessThan(t.score('b/m'));
  });

  it('keeps members apart', () => {
    const t = new LatencyTracker();
    t.record('a/m', 10, true);
    t.record('b/m', 90, true);
    expect([t.score('a/m'), t.score('b/m')]).to.deep.equal([10, 90]);
  });
});
