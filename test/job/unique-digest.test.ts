import { createHash } from 'node:crypto';
import { expect } from 'chai';
import fc from 'fast-check';
import { canonicalJson, uniqueDigest } from '../../src/job/unique-digest.js';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** Same value with every object's keys in reverse order. */
function reverseKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reverseKeys);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).reverse()) {
    Object.defineProperty(out, key, { value: reverseKeys((value as Record<string, unknown>)[key]), enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/** JSON cannot tell -0 from 0. */
const noNegativeZero = (value: unknown): unknown => JSON.parse(JSON.stringify(value));

describe('uniqueDigest', () => {
  it('is the SHA-256 hex of the compact JSON of [class, queue, args]', () => {
    expect(uniqueDigest('W', 'default', [1, 'two'])).to.equal(sha256('["W","default",[1,"two"]]'));
  });

  it('is 64 lowercase hex characters for any class, queue and args (Kiq docs/kiq-elixir.md check 10, SHA-256 not SHA-1)', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.array(fc.oneof(fc.boolean(), fc.integer(), fc.string())), (cls, queue, args) => {
        expect(uniqueDigest(cls, queue, args)).to.match(/^[0-9a-f]{64}$/);
      }),
      { numRuns: 200 },
    );
  });

  it('does not depend on the order of object keys, at any depth', () => {
    fc.assert(
      fc.property(fc.array(fc.jsonValue({ maxDepth: 4 }), { maxLength: 4 }), (args) => {
        expect(uniqueDigest('W', 'q', reverseKeys(args) as unknown[])).to.equal(uniqueDigest('W', 'q', args));
      }),
      { numRuns: 200 },
    );
  });

  it('differs when class, queue or args differ', () => {
    const base = uniqueDigest('W', 'q', [1]);
    expect(uniqueDigest('V', 'q', [1])).to.not.equal(base);
    expect(uniqueDigest('W', 'r', [1])).to.not.equal(base);
    expect(uniqueDigest('W', 'q', ['1'])).to.not.equal(base);
    expect(uniqueDigest('Wq', '', [1])).to.not.equal(uniqueDigest('W', 'q', [1]));
  });

  it('tells apart args that differ only after the 50th element (unlike Kiq, which truncates)', () => {
    const a = Array.from({ length: 60 }, (_, i) => i);
    const b = [...a.slice(0, 55), -1, ...a.slice(56)];
    expect(uniqueDigest('W', 'q', a)).to.not.equal(uniqueDigest('W', 'q', b));
  });
});

describe('canonicalJson', () => {
  it('sorts object keys at every level and writes compact JSON', () => {
    expect(canonicalJson({ b: [2, { d: 1, c: 0 }], a: 'x' })).to.equal('{"a":"x","b":[2,{"c":0,"d":1}]}');
  });

  it('sorts keys by UTF-16 code units', () => {
    expect(canonicalJson({ b: 1, B: 2, é: 3, a: 4 })).to.equal('{"B":2,"a":4,"b":1,"é":3}');
  });

  it('reads back as the same value, for any JSON value', () => {
    fc.assert(
      fc.property(fc.jsonValue({ stringUnit: 'binary' }), (value) => {
        expect(JSON.parse(canonicalJson(value))).to.deep.equal(noNegativeZero(value));
      }),
      { numRuns: 200 },
    );
  });
});
