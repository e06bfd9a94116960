import { expect } from 'chai';
import { JobSlots } from '../../src/server/job-slots.js';

describe('JobSlots (src/server/job-slots.ts)', () => {
  it('runs up to limit at once; the rest wait and start oldest first as slots free', () => {
    const ran: string[] = [];
    const slots = new JobSlots<string>(2, (job) => ran.push(job));
    for (const job of ['a', 'b', 'c', 'd']) slots.start(job);
    expect(ran).to.deep.equal(['a', 'b']);
    expect(slots.waiting).to.equal(2);
    slots.ended();
    expect(ran).to.deep.equal(['a', 'b', 'c']);
    slots.ended();
    expect(ran).to.deep.equal(['a', 'b', 'c', 'd']);
    expect(slots.waiting).to.equal(0);
    slots.ended(); // c, d run: one slot free
    slots.start('e');
    slots.start('f');
    expect(ran, 'e takes the free slot, f waits').to.deep.equal(['a', 'b', 'c', 'd', 'e']);
    expect(slots.waiting).to.equal(1);
  });

  it('release hands back the waiting jobs unstarted, oldest first, and empties the wait', () => {
    const ran: string[] = [];
    const slots = new JobSlots<string>(1, (job) => ran.push(job));
    for (const job of ['a', 'b', 'c']) slots.start(job);
    expect(slots.release()).to.deep.equal(['b', 'c']);
    expect(slots.waiting).to.equal(0);
    slots.ended();
    expect(ran, 'nothing waiting starts').to.deep.equal(['a']);
    expect(slots.release()).to.deep.equal([]);
  });
});
