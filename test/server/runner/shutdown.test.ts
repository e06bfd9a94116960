/** Which failures count as caused by the stop signal (Sidekiq `exception_caused_by_shutdown?`). */
import { expect } from 'chai';
import { causedByShutdown } from '../../../src/server/runner/shutdown.js';

describe('causedByShutdown', () => {
  it('is false while the signal has not aborted, whatever was thrown', () => {
    const live = new AbortController().signal;
    expect(causedByShutdown(new DOMException('x', 'AbortError'), live)).to.equal(false);
  });

  it('matches the abort reason, an AbortError, or either in the cause chain', () => {
    const stop = new AbortController();
    stop.abort('stopping');
    const { signal } = stop;
    expect(causedByShutdown('stopping', signal)).to.equal(true);
    expect(causedByShutdown(new DOMException('x', 'AbortError'), signal)).to.equal(true);
    expect(causedByShutdown(new Error('a', { cause: new Error('b', { cause: 'stopping' }) }), signal)).to.equal(true);
    expect(causedByShutdown(new Error('db down'), signal)).to.equal(false);
    expect(causedByShutdown(undefined, signal)).to.equal(false);
    expect(causedByShutdown(null, signal)).to.equal(false);
  });

  it('stops on a cause cycle', () => {
    const stop = new AbortController();
    stop.abort();
    const a = new Error('a');
    const b = new Error('b', { cause: a });
    a.cause = b;
    expect(causedByShutdown(a, stop.signal)).to.equal(false);
  });
});
