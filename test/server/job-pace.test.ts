import { expect } from 'chai';
import { JobPace, MAX_LEVEL, PACE_WINDOW, QUICK_MS, SLOW_MS } from '../../src/server/job-pace.js';

/** Feed `ms` until the level changes (at most `jobs` times): the new level, or undefined. */
function feed(pace: JobPace, ms: number, jobs = 100): number | undefined {
  for (let i = 0; i < jobs; i++) {
    const level = pace.ended(ms);
    if (level !== undefined) return level;
  }
  return undefined;
}

describe('JobPace (src/server/job-pace.ts)', () => {
  it('starts at level 0 and takes level 1 once the average is under QUICK_MS', () => {
    const pace = new JobPace();
    expect(pace.level).to.equal(0);
    expect(feed(pace, QUICK_MS), 'at the threshold: not yet').to.equal(undefined);
    expect(feed(pace, QUICK_MS * 0.75)).to.equal(1);
    expect(pace.level).to.equal(1);
  });

  it('the quicker the jobs the higher the level, up to MAX_LEVEL (a job waits about level × average)', () => {
    expect(new JobPace().ended(QUICK_MS * 0.75)).to.equal(1);
    expect(new JobPace().ended(QUICK_MS / 2 - 0.01)).to.equal(2);
    expect(new JobPace().ended(0.01)).to.equal(MAX_LEVEL);
  });

  it('tells only changes: a job that keeps the level returns undefined', () => {
    const pace = new JobPace();
    expect(pace.ended(0.1)).to.equal(MAX_LEVEL);
    expect(pace.ended(0.1)).to.equal(undefined);
    expect(pace.ended(0.2)).to.equal(undefined);
  });

  it('between a level\'s thresholds it keeps the level (no flip at every job)', () => {
    const quick = new JobPace();
    quick.ended(QUICK_MS * 0.75);
    expect(feed(quick, (QUICK_MS + SLOW_MS) / 2), 'level 1 between QUICK_MS and SLOW_MS').to.equal(undefined);
    expect(quick.level).to.equal(1);
    const slow = new JobPace();
    slow.ended(10);
    expect(feed(slow, (QUICK_MS + SLOW_MS) / 2), 'level 0 there too').to.equal(undefined);
    expect(slow.level).to.equal(0);
  });

  it('one slow job among quick ones does not end prefetching; a run of them does, step by step down to 0', () => {
    const pace = new JobPace();
    pace.ended(QUICK_MS * 0.75);
    expect(pace.ended(SLOW_MS * 2), `one job of ${SLOW_MS * 2} ms weighs 1/${PACE_WINDOW}`).to.equal(undefined);
    expect(feed(pace, 50)).to.equal(0);
    const fast = new JobPace();
    fast.ended(0.01);
    const levels: number[] = [];
    for (let i = 0; i < 100 && fast.level > 0; i++) {
      const level = fast.ended(50);
      if (level !== undefined) levels.push(level);
    }
    expect(levels.at(-1)).to.equal(0);
    expect(levels.every((level, i) => i === 0 || level < levels[i - 1]!), `down only: ${levels.join(',')}`).to.equal(true);
  });
});
