import { expect } from 'chai';
import fc from 'fast-check';
import { jittered } from '../../src/server/tickers.js';

describe('Poll interval jitter', () => {
  it('stays within 50-150 % of the average (Sidekiq random_poll_interval for small clusters)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 10, max: 60_000 }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (average, u) => {
        const delay = jittered(average, () => u);
        return delay >= Math.floor(average * 0.5) && delay <= Math.ceil(average * 1.5);
      }),
    );
  });

  it('spreads over the whole range rather than sticking to the average', () => {
    expect(jittered(1000, () => 0)).to.equal(500);
    expect(jittered(1000, () => 0.999)).to.equal(1499);
  });
});
