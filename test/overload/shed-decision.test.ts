import { expect } from 'chai';
import { overloadDefaults, shedReason } from '../../src/overload/shed-decision.ts';

describe('overload: the shed decision', () => {
  const limits = { maxInFlight: 3, maxEventLoopDelayMs: 100 };

  it('serves while both readings are within their bounds', () => {
    expect(shedReason(limits, { inFlight: 0, eventLoopDelayMs: 0 })).to.equal(undefined);
    expect(shedReason(limits, { inFlight: 2, eventLoopDelayMs: 100 })).to.equal(undefined);
  });

  it('refuses the request that would be one more than max_in_flight', () => {
    expect(shedReason(limits, { inFlight: 3, eventLoopDelayMs: 0 })).to.equal('in_flight');
    expect(shedReason(limits, { inFlight: 50, eventLoopDelayMs: 0 })).to.equal('in_flight');
  });

  it('refuses while the recent loop delay is above the threshold, not at it', () => {
    expect(shedReason(limits, { inFlight: 0, eventLoopDelayMs: 100.5 })).to.equal('event_loop');
    expect(shedReason(limits, { inFlight: 0, eventLoopDelayMs: 100 })).to.equal(undefined);
  });

  it('names in_flight when both are over: it is the exact one', () => {
    expect(shedReason(limits, { inFlight: 3, eventLoopDelayMs: 1000 })).to.equal('in_flight');
  });

  it('has bounded defaults', () => {
    expect(overloadDefaults.maxInFlight).to.be.a('number').and.be.greaterThan(0);
    expect(overloadDefaults.maxEventLoopDelayMs).to.be.a('number').and.be.greaterThan(0);
    expect(shedReason(overloadDefaults, { inFlight: overloadDefaults.maxInFlight, eventLoopDelayMs: 0 })).to.equal('in_flight');
  });
});
