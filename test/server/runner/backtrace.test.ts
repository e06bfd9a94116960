/** error_backtrace: base64(deflate(JSON lines)) (docs/sidekiq-contract.md §2, §14). */
import { expect } from 'chai';
import fc from 'fast-check';
import { backtraceLimit, backtraceLines, decodeBacktrace, encodeBacktrace } from '../../../src/job/backtrace.js';
import { NonErrorThrown } from '../../../src/job/error-fields.js';
import { SIDEKIQ } from './support.js';

describe('error_backtrace', () => {
  it('decodes the §14 Sidekiq 6.4 backtrace (base64 with newlines) to its 3 lines', () => {
    const encoded = (JSON.parse(SIDEKIQ.backtraceSecond) as { error_backtrace: string }).error_backtrace;
    expect(encoded).to.include('\n');
    const lines = decodeBacktrace(encoded) as string[];
    expect(lines).to.have.length(3);
    expect(lines[0]).to.equal("/work/steering/interop/worker.rb:91:in `perform'");
    expect(lines[2]).to.match(/processor\.rb:164:in `block \(2 levels\) in process'$/);
  });

  it('re-encodes those lines as strict base64 (7.3+), which round-trips', () => {
    const encoded = (JSON.parse(SIDEKIQ.backtraceSecond) as { error_backtrace: string }).error_backtrace;
    const lines = decodeBacktrace(encoded) as string[];
    const ours = encodeBacktrace(lines);
    expect(ours).to.match(/^eJ[A-Za-z0-9+/]+=*$/); // zlib header 78 9c, no newlines
    expect(decodeBacktrace(ours)).to.deep.equal(lines);
    expect(decodeBacktrace(encodeBacktrace(lines, 2))).to.deep.equal(lines.slice(0, 2));
  });

  it('round-trips any lines', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'grapheme' }), { maxLength: 20 }), fc.option(fc.integer({ min: -25, max: 25 }), { nil: undefined }), (lines, limit) => {
        const encoded = encodeBacktrace(lines, limit);
        expect(encoded).to.not.include('\n');
        expect(decodeBacktrace(encoded)).to.deep.equal(limit === undefined ? lines : lines.slice(0, limit));
      }),
    );
  });

  it('reads the backtrace option as Sidekiq does', () => {
    expect(backtraceLimit(true)).to.deep.equal({ limit: undefined });
    expect(backtraceLimit(3)).to.deep.equal({ limit: 3 });
    expect(backtraceLimit(2.9)).to.deep.equal({ limit: 2 });
    expect(backtraceLimit(0)).to.deep.equal({ limit: 0 });
    expect(backtraceLimit(-1)).to.deep.equal({ limit: -1 }); // Ruby's 0...-1: all but the last
    expect(backtraceLimit('4')).to.deep.equal({ limit: 4 });
    expect(backtraceLimit('x')).to.deep.equal({ limit: 0 });
    for (const off of [false, null, undefined, {}, [], Number.NaN]) expect(backtraceLimit(off)).to.equal(null);
  });

  it('takes the frames of a V8 stack without the (multi-line) message header', () => {
    function inner(): Error {
      return new Error('line one\n    at not a frame? no: part of the message\nline three');
    }
    const lines = backtraceLines(inner());
    expect(lines[0]).to.match(/^at inner \(/);
    for (const line of lines) expect(line).to.match(/^at /);
    expect(lines.join('\n')).to.not.include('part of the message');
    expect(backtraceLines(new NonErrorThrown('boom'))).to.deep.equal([]);
    const noStack = new Error('x');
    noStack.stack = undefined;
    expect(backtraceLines(noStack)).to.deep.equal([]);
  });
});
