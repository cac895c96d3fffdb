import { expect } from 'chai';
import { costUsd } from '../../src/telemetry/cost.ts';
import type { Prices } from '../../src/config/snapshot.ts';

const usage = (input: number, output: number, cached = 0, cacheWrite = 0, reasoning = 0) => ({ input, output, cached, cacheWrite, reasoning });

describe('costUsd', () => {
  it('prices uncached input, cached reads, cache writes and output separately, per 1M tokens', () => {
    const claude: Prices = { input: 3, output: 15, cachedInput: 0.3, cacheWriteInput: 3.75 };
    // 1,000 prompt tokens of which 200 read from cache and 100 written to it; 500 output
    const expected = (700 * 3 + 200 * 0.3 + 100 * 3.75 + 500 * 15) / 1e6;
    expect(costUsd(usage(1000, 500, 200, 100), claude, true)).to.be.closeTo(expected, 1e-15);
  });

  it('falls back to the input price where a model has no cached or cache-write price', () => {
    const mini: Prices = { input: 0.15, output: 0.6 };
    expect(costUsd(usage(1000, 100, 400, 100), mini, true)).to.be.closeTo((1000 * 0.15 + 100 * 0.6) / 1e6, 1e-15);
    const gpt4o: Prices = { input: 2.5, output: 10, cachedInput: 1.25 };
    expect(costUsd(usage(1000, 0, 400, 100), gpt4o, true)).to.be.closeTo((500 * 2.5 + 400 * 1.25 + 100 * 2.5) / 1e6, 1e-15);
  });

  it('counts reasoning tokens once, as part of output', () => {
    const prices: Prices = { input: 1, output: 4 };
    expect(costUsd(usage(0, 1000, 0, 0, 800), prices, true)).to.be.closeTo(0.004, 1e-15);
  });

  it('is null, not a guess, when the provider reported no usage', () => {
    expect(costUsd(undefined, { input: 1, output: 1 }, true)).to.equal(null);
  });

  it('is null for a model without configured prices', () => {
    expect(costUsd(usage(10, 10), { input: 0, output: 0 }, false)).to.equal(null);
  });

  it('is zero for a priced request that used no tokens', () => {
    expect(costUsd(usage(0, 0), { input: 3, output: 15 }, true)).to.equal(0);
  });
});
