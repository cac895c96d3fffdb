// orderCandidates and stickyKeyOf: the candidate order of one request, with
// randomness, round-robin turns and latency scores passed in.

import { expect } from 'chai';
import { orderCandidates, stickyKeyOf, type PlanContext } from '../../src/pipeline/plan.ts';
import { member, route, scriptedRandom, seededRandom } from './decision-fixtures.ts';

const a = member('a/m');
const b = member('b/m');
const c = member('c/m');

function context(extra: Partial<PlanContext> = {}): PlanContext {
  return { random: () => 0, turn: 0, score: () => 0, stickyKey: 'key\0m\0[]', ...extra };
}

const targets = (members: { target: string }[]) => members.map((m) => m.target);

describe('plan: orderCandidates', () => {
  it('failover keeps list order inside a tier and tiers lowest priority first', () => {
    const r = route('failover', [b, a], [c]);
    expect(targets(orderCandidates(r, context()))).to.deep.equal(['b/m', 'a/m', 'c/m']);
  });

  it('lists a target once, in its first tier, when it appears in two', () => {
    const r = route('failover', [a, b], [member('a/m', { priority: 2 }), c]);
    expect(targets(orderCandidates(r, context()))).to.deep.equal(['a/m', 'b/m', 'c/m']);
  });

  it('drains weight-0 members under every strategy', () => {
    const drained = member('d/m', { weight: 0 });
    for (const strategy of ['failover', 'weighted', 'round-robin', 'least-latency', 'sticky'] as const) {
      const got = targets(orderCandidates(route(strategy, [drained, a, b]), context({ random: seededRandom(1) })));
      expect(got, strategy).to.have.members(['a/m', 'b/m']).and.to.have.length(2);
    }
  });

  it('an empty or fully drained route has no candidates', () => {
    expect(orderCandidates(route('round-robin', []), context())).to.deep.equal([]);
    expect(orderCandidates(route('round-robin', [member('x/m', { weight: 0 })]), context())).to.deep.equal([]);
  });

  describe('weighted', () => {
    it('draws without replacement: the random point picks by cumulative weight', () => {
      const heavy = member('h/m', { weight: 3 });
      const light = member('l/m', { weight: 1 });
      // total 4: 0.74 * 4 = 2.96 < 3 -> heavy first; then only light is left.
      expect(targets(orderCandidates(route('weighted', [heavy, light]), context({ random: scriptedRandom(0.74) })))).to.deep.equal(['h/m', 'l/m']);
      // 0.76 * 4 = 3.04 >= 3 -> light first.
      expect(targets(orderCandidates(route('weighted', [heavy, light]), context({ random: scriptedRandom(0.76) })))).to.deep.equal(['l/m', 'h/m']);
    });

    it('puts a member first in proportion to its weight', () => {
      const heavy = member('h/m', { weight: 3 });
      const light = member('l/m', { weight: 1 });
      const random = seededRandom(42);
      let heavyFirst = 0;
      const draws = 4_000;
      for (let i = 0; i < draws; i++) {
        if (orderCandidates(route('weighted', [heavy, light]), context({ random }))[0] === heavy) heavyFirst++;
      }
      expect(heavyFirst / draws).to.be.closeTo(0.75, 0.03);
    });

    it('still returns every member when random() returns its upper edge', () => {
      const got = orderCandidates(route('weighted', [a, b, c]), context({ random: () => 0.9999999999 }));
      expect(targets(got)).to.have.members(['a/m', 'b/m', 'c/m']);
    });
  });

  it('round-robin rotates the tier by the turn', () => {
    const r = route('round-robin', [a, b, c]);
    expect(targets(orderCandidates(r, context({ turn: 0 })))).to.deep.equal(['a/m', 'b/m', 'c/m']);
    expect(targets(orderCandidates(r, context({ turn: 1 })))).to.deep.equal(['b/m', 'c/m', 'a/m']);
    expect(targets(orderCandidates(r, context({ turn: 5 })))).to.deep.equal(['c/m', 'a/m', 'b/m']);
  });

  it('least-latency orders by score, ties in list order, never-measured (0) first', () => {
    const scores: Record<string, number> = { 'a/m': 120, 'b/m': 40, 'c/m': 120 };
    const r = route('least-latency', [a, b, c, member('n/m')]);
    expect(targets(orderCandidates(r, context({ score: (t) => scores[t] ?? 0 })))).to.deep.equal(['n/m', 'b/m', 'a/m', 'c/m']);
  });

  describe('sticky (weighted rendezvous hashing)', () => {
    const r = route('sticky', [a, b, c]);

    it('gives one key the same order every time', () => {
      const first = targets(orderCandidates(r, context({ stickyKey: 'k\0u\0alice' })));
      for (let i = 0; i < 5; i++) expect(targets(orderCandidates(r, context({ stickyKey: 'k\0u\0alice', random: Math.random })))).to.deep.equal(first);
    });

    it('spreads different keys over the members', () => {
      const firsts = new Set<string>();
      for (let i = 0; i < 60; i++) firsts.add(orderCandidates(r, context({ stickyKey: `k\0u\0user-${i}` }))[0]!.target);
      expect(firsts).to.have.property('size', 3);
    });

    it('removing a member moves only the conversations it held', () => {
      const without = route('sticky', [a, c]);
      for (let i = 0; i < 100; i++) {
        const key = `k\0u\0user-${i}`;
        const full = targets(orderCandidates(r, context({ stickyKey: key })));
        const reduced = targets(orderCandidates(without, context({ stickyKey: key })));
        expect(reduced, key).to.deep.equal(full.filter((t) => t !== 'b/m'));
      }
    });

    it('favours heavier members in proportion to weight', () => {
      const heavy = member('h/m', { weight: 3 });
      const light = member('l/m', { weight: 1 });
      let heavyFirst = 0;
      for (let i = 0; i < 2_000; i++) {
        if (orderCandidates(route('sticky', [heavy, light]), context({ stickyKey: `k\0u\0${i}` }))[0] === heavy) heavyFirst++;
      }
      expect(heavyFirst / 2_000).to.be.closeTo(0.75, 0.04);
    });
  });
});

describe('plan: stickyKeyOf', () => {
  it('prefers the user, scoped to the key', () => {
    expect(stickyKeyOf('team', 'alice', [{ role: 'user', content: 'hi' }])).to.equal('team\0u\0alice');
    expect(stickyKeyOf('other', 'alice', undefined)).to.not.equal(stickyKeyOf('team', 'alice', undefined));
  });

  it('falls back to the conversation opening; same opening, same key', () => {
    const opening = [{ role: 'user', content: 'hi' }];
    expect(stickyKeyOf('team', undefined, opening)).to.equal(`team\0m\0${JSON.stringify(opening)}`);
    expect(stickyKeyOf('team', '', opening)).to.equal(stickyKeyOf('team', undefined, opening));
    expect(stickyKeyOf('team', undefined, undefined)).to.equal('team\0m\0""');
  });

  it('a user id cannot collide with an opening', () => {
    expect(stickyKeyOf('team', 'x', undefined)).to.not.equal(stickyKeyOf('team', undefined, 'x'));
  });
});
