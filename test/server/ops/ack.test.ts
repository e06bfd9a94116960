import { expect } from 'chai';
import { Redis } from 'ioredis';
import { privateQueueKey } from '../../../src/redis/keys.js';
import { ackJobs } from '../../../src/server/ops/ack.js';
import { useRedis } from '../../support/redis.js';
import { IDENTITY, jobJson } from './support.js';

describe('server ops: ackJobs', () => {
  const redis = useRedis();
  const privateList = privateQueueKey(IDENTITY, 'default');

  it('removes exactly the given strings from their private lists', async () => {
    await redis.client.lpush(privateList, jobJson('a'), jobJson('b'), jobJson('c'));
    await redis.client.lpush(privateQueueKey(IDENTITY, 'with.dot'), jobJson('d', 'with.dot'));
    await ackJobs(redis.client, IDENTITY, [
      { queue: 'default', raw: jobJson('a') },
      { queue: 'default', raw: jobJson('c') },
      { queue: 'with.dot', raw: jobJson('d', 'with.dot') },
    ]);
    expect(await redis.client.lrange(privateList, 0, -1)).to.deep.equal([jobJson('b')]);
    expect(await redis.client.exists(privateQueueKey(IDENTITY, 'with.dot'))).to.equal(0);
  });

  it('removes one copy of a string that is in flight twice', async () => {
    await redis.client.lpush(privateList, jobJson('same'), jobJson('same'));
    await ackJobs(redis.client, IDENTITY, [{ queue: 'default', raw: jobJson('same') }]);
    expect(await redis.client.lrange(privateList, 0, -1)).to.deep.equal([jobJson('same')]);
  });

  it('matches the exact bytes only: a re-encoded string removes nothing', async () => {
    const raw = '{"class":"A", "args":[]}';
    await redis.client.lpush(privateList, raw);
    await ackJobs(redis.client, IDENTITY, [{ queue: 'default', raw: JSON.stringify(JSON.parse(raw)) }]);
    expect(await redis.client.lrange(privateList, 0, -1)).to.deep.equal([raw]);
    await ackJobs(redis.client, IDENTITY, [{ queue: 'default', raw }]);
    expect(await redis.client.exists(privateList)).to.equal(0);
  });

  it('resolves when a job is no longer in flight', async () => {
    await ackJobs(redis.client, IDENTITY, [{ queue: 'default', raw: jobJson('gone') }]);
  });

  it('rejects on a command error', async () => {
    await redis.client.set(privateList, 'not a list');
    const error = await ackJobs(redis.client, IDENTITY, [{ queue: 'default', raw: 'x' }]).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((error as Error).message).to.match(/WRONGTYPE/);
  });

  it('rejects when Redis cannot be reached, so the caller retries', async () => {
    const offline = new Redis(redis.url, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0 });
    try {
      await ackJobs(offline, IDENTITY, []); // nothing to send: no round trip
      const error = await ackJobs(offline, IDENTITY, [{ queue: 'default', raw: 'x' }]).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).to.be.instanceOf(Error);
    } finally {
      offline.disconnect();
    }
  });
});
