/** error_class and error_message (docs/sidekiq-contract.md §2, §5.1); non-Error throws. */
import { expect } from 'chai';
import fc from 'fast-check';
import { runInNewContext } from 'node:vm';
import { KiqConfigError, UnknownWorkerError } from '../../../src/errors.js';
import {
  errorClassOf,
  errorMessageOf,
  MAX_ERROR_MESSAGE_CHARS,
  MESSAGE_THREW,
  NonErrorThrown,
  toError,
  truncateChars,
} from '../../../src/job/error-fields.js';

describe('error fields', () => {
  it('names error classes as name, or the constructor when a subclass kept "Error"', () => {
    class Boom extends Error {}
    class Named extends Error {
      override name = 'Named::Thing';
    }
    expect(errorClassOf(new Error('x'))).to.equal('Error');
    expect(errorClassOf(new RangeError('x'))).to.equal('RangeError');
    expect(errorClassOf(new Boom('x'))).to.equal('Boom');
    expect(errorClassOf(new Named('x'))).to.equal('Named::Thing');
    expect(errorClassOf(new UnknownWorkerError('W'))).to.equal('UnknownWorkerError');
    expect(errorClassOf(new KiqConfigError('a', 'b', 1))).to.equal('KiqConfigError');
    expect(errorClassOf(new DOMException('x', 'AbortError'))).to.equal('AbortError');
    const nameless = new Error('x');
    nameless.name = '';
    expect(errorClassOf(nameless)).to.equal('Error');
  });

  it('keeps Errors as they are, also from another realm', () => {
    const error = new TypeError('x');
    expect(toError(error)).to.equal(error);
    const foreign = runInNewContext('new RangeError("far")') as Error;
    expect(foreign instanceof Error).to.equal(false);
    expect(toError(foreign)).to.equal(foreign);
    expect(errorClassOf(toError(foreign))).to.equal('RangeError');
  });

  it('wraps anything else in a NonErrorThrown that keeps the value as cause and has no frames', () => {
    const thrown = { code: 1 };
    const error = toError(thrown);
    expect(error).to.be.instanceOf(NonErrorThrown).and.be.instanceOf(Error);
    expect(error.cause).to.equal(thrown);
    expect((error as NonErrorThrown).thrown).to.equal(thrown);
    expect(error.stack).to.equal('Object: { code: 1 }');
    expect(toError(Object.create(null)).name).to.equal('Object');
    expect(toError(function named() {}).message).to.equal('[Function: named]');
  });

  it('cuts messages to 10,000 characters, counting a surrogate pair as one and never splitting it', () => {
    expect(MAX_ERROR_MESSAGE_CHARS).to.equal(10_000);
    const at = (text: string) => errorMessageOf(new Error(text));
    expect(at('a'.repeat(20_000))).to.have.length(10_000);
    expect(at(`${'a'.repeat(9_999)}😀b`)).to.equal(`${'a'.repeat(9_999)}😀`);
    expect(at(`${'a'.repeat(10_000)}😀`)).to.equal('a'.repeat(10_000));
    expect([...at('😀'.repeat(15_000))]).to.have.length(10_000);
    expect(truncateChars('ab😀c', 3)).to.equal('ab😀');
    expect(truncateChars('ab😀c', 2)).to.equal('ab');
  });

  it('scrubs lone surrogates to U+FFFD so the payload is valid UTF-8 for Ruby', () => {
    expect(errorMessageOf(new Error('a\ud800b\udc00c😀'))).to.equal('a\ufffdb\ufffdc😀');
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 30 }), (text) => {
        const message = errorMessageOf(new Error(text));
        expect(Buffer.from(message, 'utf8').toString('utf8')).to.equal(message);
      }),
    );
  });

  it('stringifies a non-string message and survives a message getter that throws', () => {
    const odd = new Error('x');
    (odd as { message: unknown }).message = 42;
    expect(errorMessageOf(odd)).to.equal('42');
    const hostile = new Error('x');
    Object.defineProperty(hostile, 'message', {
      get() {
        throw new Error('no');
      },
    });
    expect(errorMessageOf(hostile)).to.equal(MESSAGE_THREW);
  });
});
