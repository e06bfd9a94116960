import { expect } from 'chai';
import { QUEUES, SUPER_PROCESSES, privateQueueKey, queueKey, superQueuesKey } from '../../../src/redis/keys.js';
import { writeBeat } from '../../support/write-beat.js';
import { fetchJobs } from '../../../src/server/ops/fetch.js';
import { requeuePrivate } from '../../../src/server/ops/requeue-private.js';
import { useRedis } from '../../support/redis.js';
import { IDENTITY, NOW, OTHER, jobJson, runOrder } from './support.js';

describe('server ops: requeuePrivate', () => {
  const redis = useRedis();

  beforeEach(() => writeBeat(redis.client, IDENTITY, NOW));

  it('puts in-flight jobs back so they run in their original order, before jobs pushed since', async () => {
    for (const jid of ['a', 'b', 'c', 'd']) await redis.client.lpush(queueKey('default'), jobJson(jid));
    await fetchJobs(redis.client, IDENTITY, 'default', 3); // a, b, c in flight
    await redis.client.lpush(queueKey('default'), jobJson('e'));
    expect(await requeuePrivate(redis.client, IDENTITY, ['default'])).to.equal(3);
    expect(await runOrder(redis.client, 'default')).to.deep.equal(['a', 'b', 'c', 'd', 'e']);
  });

  it('keeps the bytes and empties the private list', async () => {
    const odd = '{"class":"A","args":[[],{"a":[]},12345678901234567],"jid":"x","queue":"default"}';
    await redis.client.lpush(queueKey('default'), odd);
    await fetchJobs(redis.client, IDENTITY, 'default', 1);
    await requeuePrivate(redis.client, IDENTITY, ['default']);
    expect(await redis.client.lrange(queueKey('default'), 0, -1)).to.deep.equal([odd]);
    expect(await redis.client.exists(privateQueueKey(IDENTITY, 'default'))).to.equal(0);
  });

  it('unregisters the process and its private lists', async () => {
    await fetchJobs(redis.client, IDENTITY, 'default', 1);
    await redis.client.sadd(SUPER_PROCESSES, OTHER);
    expect(await requeuePrivate(redis.client, IDENTITY, ['default'])).to.equal(0);
    expect(await redis.client.smembers(SUPER_PROCESSES)).to.deep.equal([OTHER]);
    expect(await redis.client.exists(superQueuesKey(IDENTITY))).to.equal(0);
  });

  it('requeues queues named with dots, dashes and pipes', async () => {
    const queues = ['with.dot', 'a|b', 'with-dash'];
    for (const queue of queues) {
      await redis.client.lpush(queueKey(queue), jobJson(`${queue}-1`, queue), jobJson(`${queue}-2`, queue));
      await fetchJobs(redis.client, IDENTITY, queue, 2);
    }
    expect(await requeuePrivate(redis.client, IDENTITY, queues)).to.equal(6);
    for (const queue of queues) {
      expect(await runOrder(redis.client, queue), queue).to.deep.equal([`${queue}-1`, `${queue}-2`]);
      expect(await redis.client.exists(privateQueueKey(IDENTITY, queue))).to.equal(0);
    }
    expect(await redis.client.exists(SUPER_PROCESSES, superQueuesKey(IDENTITY))).to.equal(0);
  });

  it('one queue at a time: the process stays registered until its last private list is requeued', async () => {
    for (const queue of ['a', 'b']) {
      await redis.client.lpush(queueKey(queue), jobJson(queue, queue));
      await fetchJobs(redis.client, IDENTITY, queue, 1);
    }
    expect(await requeuePrivate(redis.client, IDENTITY, ['a'])).to.equal(1);
    expect(await redis.client.sismember(SUPER_PROCESSES, IDENTITY)).to.equal(1);
    expect(await redis.client.smembers(superQueuesKey(IDENTITY))).to.deep.equal([privateQueueKey(IDENTITY, 'b')]);
    expect(await redis.client.lrange(privateQueueKey(IDENTITY, 'b'), 0, -1), "b's job is still running").to.deep.equal([jobJson('b', 'b')]);
    expect(await requeuePrivate(redis.client, IDENTITY, ['b'])).to.equal(1);
    expect(await redis.client.exists(SUPER_PROCESSES, superQueuesKey(IDENTITY))).to.equal(0);
  });

  it('registers a queue again in queues when it gets jobs back', async () => {
    await redis.client.lpush(queueKey('mailers'), jobJson('m', 'mailers'));
    await fetchJobs(redis.client, IDENTITY, 'mailers', 1);
    await redis.client.srem(QUEUES, 'mailers');
    await requeuePrivate(redis.client, IDENTITY, ['mailers']);
    expect(await redis.client.smembers(QUEUES)).to.deep.equal(['mailers']);
  });

  it("leaves other processes' private lists alone", async () => {
    await redis.client.lpush(privateQueueKey(OTHER, 'default'), jobJson('theirs'));
    await requeuePrivate(redis.client, IDENTITY, ['default']);
    expect(await redis.client.lrange(privateQueueKey(OTHER, 'default'), 0, -1)).to.deep.equal([jobJson('theirs')]);
    expect(await redis.client.exists(queueKey('default'))).to.equal(0);
  });
});
