/**
 * The reliable-push buffer's oldest-job age (`kiq.health()`'s
 * `buffer.oldestAgeMs`): waiting and in-flight jobs count, a failed flush's
 * jobs keep their age, an empty buffer is 0.
 */
import { expect } from 'chai';
import { JobBuffer } from '../../src/client/buffer.js';
import type { BufferEntry } from '../../src/client/entry.js';

const entry = (seq: number): BufferEntry => ({ seq, jid: `j${seq}`, queue: 'default', json: '{}', atSec: undefined, lockKey: undefined, lockTtlMs: undefined, confirm: undefined, arrivedMs: 0 });

describe('JobBuffer.oldestAgeMs', () => {
  it('ages the oldest held job, waiting or being flushed, and keeps a failed batch its age', () => {
    let now = 1_000;
    const buffer = new JobBuffer(10, undefined, () => now);
    expect(buffer.oldestAgeMs()).to.equal(0);
    buffer.add(entry);
    now += 100;
    buffer.add(entry);
    now += 50;
    expect(buffer.oldestAgeMs()).to.equal(150);
    const batch = buffer.take(1); // the oldest is in flight now
    expect(buffer.oldestAgeMs()).to.equal(150);
    now += 10;
    buffer.settle(batch, batch); // failed: back to the front, same age
    expect(buffer.oldestAgeMs()).to.equal(160);
    const all = buffer.take(10);
    buffer.settle(all, []);
    expect(buffer.oldestAgeMs()).to.equal(0);
  });
});
