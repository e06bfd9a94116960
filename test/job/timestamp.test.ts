import { expect } from 'chai';
import fc from 'fast-check';
import { InvalidJobError } from '../../src/errors.js';
import { formatSeconds, formatTimestamp, readTimestamp, scoreOf, toEpochSeconds } from '../../src/job/timestamp.js';

describe('toEpochSeconds', () => {
  it('turns epoch milliseconds into float epoch seconds', () => {
    expect(toEpochSeconds(1_700_000_000_500)).to.equal(1700000000.5);
  });
});

describe('readTimestamp', () => {
  it('keeps Sidekiq 6.4/7.x float seconds as they are', () => {
    expect(readTimestamp(1795807920.7045317)).to.equal(1795807920.7045317);
    expect(readTimestamp(1795807920)).to.equal(1795807920);
  });

  it('reads a number above 1e11 as Sidekiq 8 epoch milliseconds', () => {
    expect(readTimestamp(1795807920704)).to.equal(1795807920.704);
  });

  it('treats exactly 1e11 as seconds (the threshold is exclusive)', () => {
    expect(readTimestamp(1e11)).to.equal(1e11);
  });

  it('gives undefined for anything that is not a finite number', () => {
    for (const value of ['1795807920.5', null, undefined, Number.NaN, Infinity, {}, true]) {
      expect(readTimestamp(value), String(value)).to.equal(undefined);
    }
  });
});

describe('formatSeconds', () => {
  it('always writes a fractional part', () => {
    expect(formatSeconds(1700000000)).to.equal('1700000000.0');
    expect(formatSeconds(1700000000.5)).to.equal('1700000000.5');
    expect(formatSeconds(0)).to.equal('0.0');
    expect(formatSeconds(-5)).to.equal('-5.0');
  });

  it('writes the shortest digits that read back exactly, as Ruby does', () => {
    expect(formatSeconds(1795807920.7045317)).to.equal('1795807920.7045317');
  });

  it('never writes exponent form', () => {
    expect(formatSeconds(1e21)).to.equal('1000000000000000000000.0');
    expect(formatSeconds(1.5e22)).to.equal('15000000000000000000000.0');
    expect(formatSeconds(1e-7)).to.equal('0.0000001');
    expect(formatSeconds(-1.25e-9)).to.equal('-0.00000000125');
  });

  it('throws InvalidJobError for NaN and infinities', () => {
    expect(() => formatSeconds(Number.NaN)).to.throw(InvalidJobError, /finite/);
    expect(() => formatSeconds(Infinity)).to.throw(InvalidJobError, /finite/);
  });

  it('round-trips every finite double and always contains a "." and no exponent', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (x) => {
        const text = formatSeconds(x);
        expect(text).to.match(/^-?\d+\.\d+$/);
        expect(Number(text)).to.equal(x === 0 ? 0 : x); // -0 reads back as 0 in JSON anyway
      }),
      { numRuns: 500 },
    );
  });
});

describe('scoreOf', () => {
  it('renders a sorted-set score like formatSeconds', () => {
    expect(scoreOf(1795807923.3457375)).to.equal('1795807923.3457375');
    expect(scoreOf(1795807923)).to.equal('1795807923.0');
  });

  it('renders a microsecond-precise score exactly (Kiq: 1527003414093447 µs → "1527003414.093447")', () => {
    expect(scoreOf(1527003414093447 / 1e6)).to.equal('1527003414.093447');
  });
});

describe('formatTimestamp', () => {
  it("writes float seconds by default and Sidekiq 8's integer epoch ms with 'ms'; both read back to the same second", () => {
    expect(formatTimestamp(1796285684.6984, 'seconds')).to.equal('1796285684.6984');
    expect(formatTimestamp(1796285684, 'seconds')).to.equal('1796285684.0');
    expect(formatTimestamp(1796285684.6984, 'ms')).to.equal('1796285684698');
    expect(formatTimestamp(1796285684, 'ms')).to.equal('1796285684000');
    fc.assert(
      fc.property(fc.integer({ min: 1_000_000_000_000, max: 4_000_000_000_000 }), (ms) => {
        const sec = ms / 1000;
        expect(readTimestamp(JSON.parse(formatTimestamp(sec, 'ms')))).to.be.closeTo(sec, 0.0005);
        expect(readTimestamp(JSON.parse(formatTimestamp(sec, 'seconds')))).to.equal(sec);
      }),
    );
  });

  it('rejects times without a JSON form', () => {
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY]) expect(() => formatTimestamp(bad, 'ms')).to.throw(InvalidJobError);
  });
});
