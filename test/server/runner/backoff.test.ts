/** Retry delays: Sidekiq 6.4–7.3's formula (docs/sidekiq-contract.md §5.2), not Kiq's (docs/kiq-elixir.md check 88). */
import { expect } from 'chai';
import fc from 'fast-check';
import { defaultDelaySec, jitterSec, retryDelaySec } from '../../../src/server/runner/backoff.js';
import type { Worker } from '../../../src/worker.js';
import { memoryLogger } from './support.js';

const noop: Worker = { class: 'W', perform: () => undefined };

describe('retry backoff', () => {
  it('is count⁴ + 15 + rand(10)·(count + 1) seconds for counts 0..3', () => {
    const table: Array<[number, number, number]> = [
      // count, random(), expected delay
      [0, 0, 15],
      [1, 0, 16],
      [2, 0, 31],
      [3, 0, 96],
      [0, 0.25, 17], // rand(10) = 2: the 17.0 s Sidekiq 6.4 showed (§14)
      [1, 0.55, 26], // 16 + 5·2
      [2, 0.55, 46], // 31 + 5·3
      [3, 0.55, 116], // 96 + 5·4
      [0, 0.999, 24], // 15 + 9·1
      [3, 0.999, 132], // 96 + 9·4
    ];
    for (const [count, random, expected] of table) {
      expect(retryDelaySec(count, new Error('x'), undefined, () => random), `count ${count}, random ${random}`).to.equal(expected);
    }
    expect([0, 1, 2, 3, 10, 24].map(defaultDelaySec)).to.deep.equal([15, 16, 31, 96, 10_015, 331_791]);
  });

  it('keeps the jitter digit in 0..9 whatever random returns', () => {
    expect(jitterSec(1, () => 1)).to.equal(18);
    expect(jitterSec(1, () => -0.5)).to.equal(0);
    expect(jitterSec(1, () => Number.NaN)).to.equal(0);
    fc.assert(
      fc.property(fc.nat(25), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (count, r) => {
        const jitter = jitterSec(count, () => r);
        expect(jitter % (count + 1)).to.equal(0);
        expect(jitter / (count + 1)).to.be.within(0, 9);
      }),
    );
  });

  it('lets worker.retryIn (ms) replace count⁴ + 15, jitter still added, with the count and the thrown value', () => {
    const seen: unknown[] = [];
    const worker: Worker = { ...noop, retryIn: (count, error) => (seen.push([count, error]), 60_000 * (count + 1)) };
    expect(retryDelaySec(0, 'boom', worker, () => 0)).to.equal(60);
    expect(retryDelaySec(2, 'boom', worker, () => 0.3)).to.equal(180 + 9);
    expect(retryDelaySec(0, 'boom', { ...noop, retryIn: () => 1_500 }, () => 0)).to.equal(1.5);
    expect(seen).to.deep.equal([[0, 'boom'], [2, 'boom']]);
  });

  it('falls back to the default when retryIn returns undefined, 0, a negative number, NaN or not a number', () => {
    for (const value of [undefined, 0, -5, Number.NaN, Number.POSITIVE_INFINITY, '60000', null]) {
      const worker = { ...noop, retryIn: () => value } as unknown as Worker;
      expect(retryDelaySec(1, new Error('x'), worker, () => 0), String(value)).to.equal(16);
    }
  });

  it('falls back to the default and logs when retryIn throws', () => {
    const logger = memoryLogger();
    const worker: Worker = { ...noop, retryIn: () => { throw new Error('oops'); } };
    expect(retryDelaySec(2, new Error('x'), worker, () => 0, logger)).to.equal(31);
    expect(logger.lines).to.have.length(1);
    expect(JSON.parse(logger.lines[0]![1])).to.include({ event: 'retry_in_failed', worker: 'W', error: 'Error: oops' });
  });
});
