import { expect } from 'chai';
import { JobPace, PACE_WINDOW, QUICK_MS, SLOW_MS } from '../../src/server/job-pace.js';

describe('JobPace (src/server/job-pace.ts)', () => {
  it('starts slow and turns quick once the average is under QUICK_MS', () => {
    const pace = new JobPace();
    expect(pace.quick).to.equal(false);
    expect(pace.ended(QUICK_MS), 'at the threshold: not yet').to.equal(undefined);
    let verdict: boolean | undefined;
    for (let i = 0; i < 50 && verdict === undefined; i++) verdict = pace.ended(0.1);
    expect(verdict).to.equal(true);
    expect(pace.quick).to.equal(true);
  });

  it('tells only changes: a job that keeps the verdict returns undefined', () => {
    const pace = new JobPace();
    expect(pace.ended(0.1)).to.equal(true);
    expect(pace.ended(0.1)).to.equal(undefined);
    expect(pace.ended(0.2)).to.equal(undefined);
  });

  it('between the thresholds it keeps what it had (no flip at every job)', () => {
    const quick = new JobPace();
    quick.ended(0.1);
    for (let i = 0; i < 100; i++) expect(quick.ended((QUICK_MS + SLOW_MS) / 2)).to.equal(undefined);
    expect(quick.quick).to.equal(true);
    const slow = new JobPace();
    slow.ended(10);
    for (let i = 0; i < 100; i++) expect(slow.ended((QUICK_MS + SLOW_MS) / 2)).to.equal(undefined);
    expect(slow.quick).to.equal(false);
  });

  it('one slow job among quick ones does not turn it slow; a run of them does', () => {
    const pace = new JobPace();
    pace.ended(0.1);
    expect(pace.ended(SLOW_MS * 2), `one job of ${SLOW_MS * 2} ms weighs 1/${PACE_WINDOW}`).to.equal(undefined);
    let verdict: boolean | undefined;
    for (let i = 0; i < 20 && verdict === undefined; i++) verdict = pace.ended(50);
    expect(verdict).to.equal(false);
  });
});
