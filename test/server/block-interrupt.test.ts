/**
 * BlockInterrupt (src/server/block-interrupt.ts) on real Redis: an
 * interrupt ends the BLMOVE in flight at once, and the calls after it run
 * under a signal that is not aborted, so they still wait for and take jobs.
 */
import { expect } from 'chai';
import { Redis } from 'ioredis';
import { queueKey } from '../../src/redis/keys.js';
import { BlockInterrupt } from '../../src/server/block-interrupt.js';
import { blockForJob } from '../../src/server/ops/fetch.js';
import { useRedis } from '../support/redis.js';
import { IDENTITY, NOW, jobJson } from './ops/support.js';
import { writeBeat } from '../support/write-beat.js';

describe('BlockInterrupt', function () {
  this.timeout(10_000);
  const redis = useRedis();
  let blocking: Redis | undefined;
  afterEach(() => {
    blocking?.disconnect();
    blocking = undefined;
  });

  const block = (interrupts: BlockInterrupt, timeoutMs: number) =>
    interrupts.run(blocking!, (signal) => blockForJob(blocking!, IDENTITY, 'default', timeoutMs, { pausedOn: redis.client, signal }));

  it('ends the block in flight at once; the next blocks still wait for and take their jobs', async () => {
    await writeBeat(redis.client, IDENTITY, NOW);
    blocking = new Redis(redis.url);
    const interrupts = new BlockInterrupt(() => redis.client);
    // a first block, taken by a job: the signal it ran under is reused
    const first = block(interrupts, 5_000);
    await redis.client.lpush(queueKey('default'), jobJson('a'));
    expect(await first).to.equal(jobJson('a'));
    // a block on an empty queue, interrupted: it ends long before its 5 s
    const started = Date.now();
    const interrupted = block(interrupts, 5_000);
    await new Promise((resolve) => setTimeout(resolve, 50));
    interrupts.interrupt();
    expect(await interrupted).to.equal(undefined);
    expect(Date.now() - started).to.be.below(2_000);
    // after the interrupt: a block that is not aborted at once, and takes the job pushed while it waits
    const after = block(interrupts, 5_000);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await redis.client.lpush(queueKey('default'), jobJson('b'));
    expect(await after).to.equal(jobJson('b'));
  });
});
