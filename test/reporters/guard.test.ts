import { expect } from 'chai';
import type { JobEvent } from '../../machines/reporter.js';
import { CRASH_WINDOW_MS, guardedDeliver, MAX_CRASHES, ReporterDisabledError, ReporterFailedError } from '../../src/reporters/guard.js';
import { silent } from '../support/logger.js';
import { job } from './support.js';

const batch = (n: number): JobEvent[] => Array.from({ length: n }, (_, i) => ({ type: 'started', job: job(i), queue: 'work' }));

describe('Guarded deliver (src/reporters/guard.ts)', () => {
  it('throws ReporterFailedError after the whole batch when an event threw, naming how many failed', () => {
    const handled: number[] = [];
    const deliver = guardedDeliver({
      name: 'reporter:0',
      handle: (event) => {
        handled.push(event.job.args[0] as number);
        if (event.job.args[0] === 1) throw new Error('one');
      },
      logger: silent(),
      now: () => 0,
    });
    expect(() => deliver(batch(3))).to.throw(ReporterFailedError, 'reporter:0 threw on 1 of 3 events: one');
    expect(handled).to.deep.equal([0, 1, 2]);
  });

  it('only counts crashes inside the window: a reporter that fails now and then is never disabled', () => {
    let t = 0;
    const disabled: ReporterDisabledError[] = [];
    const deliver = guardedDeliver({
      name: 'reporter:0',
      handle: () => {
        throw 'not even an Error';
      },
      logger: silent(),
      now: () => t,
      onDisabled: (error) => disabled.push(error),
    });
    for (let i = 0; i < 20; i++) {
      expect(() => deliver(batch(1))).to.throw(ReporterFailedError, /not even an Error/);
      t += CRASH_WINDOW_MS / (MAX_CRASHES - 1) + 1; // MAX_CRASHES - 1 per window at most
    }
    expect(disabled).to.deep.equal([]);
    // later, MAX_CRASHES within one window: the last one disables instead of crashing
    t += 2 * CRASH_WINDOW_MS;
    for (let i = 0; i < MAX_CRASHES - 1; i++) expect(() => deliver(batch(1))).to.throw(ReporterFailedError);
    expect(() => deliver(batch(1))).to.not.throw();
    expect(disabled).to.have.length(1);
    expect(disabled[0]).to.include({ reporter: 'reporter:0', crashes: MAX_CRASHES });
    expect(() => deliver(batch(1))).to.not.throw(); // disabled: does nothing
    expect(disabled).to.have.length(1);
  });

  it('survives a logger that throws while reporting a crash', () => {
    const logger = silent();
    logger.warn = () => {
      throw new Error('logger down');
    };
    const deliver = guardedDeliver({
      name: 'reporter:0',
      handle: () => {
        throw new Error('x');
      },
      logger,
      now: () => 0,
    });
    expect(() => deliver(batch(1))).to.throw(ReporterFailedError);
  });
});
