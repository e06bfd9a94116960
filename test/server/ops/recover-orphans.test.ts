import { expect } from 'chai';
import {
  DEAD,
  KIQ_LEASES,
  QUEUES,
  SUPER_FETCH_ORPHAN_CHECK,
  SUPER_PROCESSES,
  privateQueueKey,
  processKey,
  queueKey,
  recoveriesKey,
  superQueuesKey,
} from '../../../src/redis/keys.js';
import { callScript } from '../../../src/redis/call.js';
import { writeBeat } from '../../support/write-beat.js';
import { fetchJobs } from '../../../src/server/ops/fetch.js';
import { renewLiveness } from '../../../src/server/ops/liveness.js';
import { recoverOrphans, takeBackOwn } from '../../../src/server/ops/recover-orphans.js';
import { useRedis } from '../../support/redis.js';
import { IDENTITY, NOW, NOW_TEXT, OTHER, jobJson, runOrder } from './support.js';

describe('server ops: recoverOrphans', () => {
  const redis = useRedis();

  /** A process that fetched `jids` from `queue` (in that order) and then died: its heartbeat expired. */
  async function crashWhileHolding(identity: string, queue: string, jids: readonly string[]): Promise<void> {
    await writeBeat(redis.client, identity, NOW);
    for (const jid of jids) await redis.client.lpush(queueKey(queue), jobJson(jid, queue));
    await fetchJobs(redis.client, identity, queue, jids.length);
    await redis.client.del(processKey(identity));
  }

  /** One `recover-orphan.lua` call for `identity` as recoverOrphans makes it (no SCANned lists). */
  async function recoverScript(identity: string): Promise<unknown> {
    return callScript(
      redis.client,
      'recover-orphan',
      [SUPER_PROCESSES, superQueuesKey(identity), processKey(identity), DEAD, QUEUES, KIQ_LEASES],
      [identity, NOW_TEXT, 3, 259_200, queueKey(''), recoveriesKey(''), '0'],
    );
  }

  it('puts a dead process’s jobs back at the front of their queues, in fetch order, and unregisters it', async () => {
    await crashWhileHolding(IDENTITY, 'default', ['a', 'b', 'c']);
    await redis.client.lpush(queueKey('default'), jobJson('newer'));
    expect(await recoverOrphans(redis.client, NOW)).to.deep.equal({ identities: [IDENTITY], requeued: 3, dead: 0 });
    expect(await runOrder(redis.client, 'default')).to.deep.equal(['a', 'b', 'c', 'newer']);
    expect(await redis.client.exists(SUPER_PROCESSES, superQueuesKey(IDENTITY), privateQueueKey(IDENTITY, 'default'))).to.equal(0);
  });

  it('leaves a live process (heartbeat hash present) untouched', async () => {
    await crashWhileHolding(IDENTITY, 'default', ['dead-1']);
    await writeBeat(redis.client, OTHER, NOW);
    await redis.client.lpush(queueKey('default'), jobJson('live-1'));
    await fetchJobs(redis.client, OTHER, 'default', 1);
    const result = await recoverOrphans(redis.client, NOW);
    expect(result.identities).to.deep.equal([IDENTITY]);
    expect(await redis.client.smembers(SUPER_PROCESSES)).to.deep.equal([OTHER]);
    expect(await redis.client.lrange(privateQueueKey(OTHER, 'default'), 0, -1)).to.deep.equal([jobJson('live-1')]);
  });

  it('recovers every queue, names with dashes, dots, colons and pipes included, bytes unchanged', async () => {
    const queues = ['with-dash', 'with.dot', 'with:colon', 'a|b'];
    for (const queue of queues) await crashWhileHolding(IDENTITY, queue, [`${queue}-1`, `${queue}-2`]);
    await redis.client.del(QUEUES);
    expect((await recoverOrphans(redis.client, NOW)).requeued).to.equal(8);
    for (const queue of queues) {
      expect(await redis.client.lrange(queueKey(queue), 0, -1), queue).to.deep.equal([jobJson(`${queue}-2`, queue), jobJson(`${queue}-1`, queue)]);
    }
    expect((await redis.client.smembers(QUEUES)).sort()).to.deep.equal([...queues].sort());
  });

  it('sends a poison pill to dead on its 4th recovery within the window', async () => {
    const raw = jobJson('pill');
    await redis.client.lpush(queueKey('default'), raw);
    for (let recovery = 1; recovery <= 4; recovery += 1) {
      await writeBeat(redis.client, IDENTITY, NOW);
      expect(await fetchJobs(redis.client, IDENTITY, 'default', 1)).to.deep.equal([raw]);
      await redis.client.del(processKey(IDENTITY)); // the job crashes the process
      const result = await recoverOrphans(redis.client, NOW);
      if (recovery <= 3) {
        expect(result, `recovery ${recovery}`).to.deep.equal({ identities: [IDENTITY], requeued: 1, dead: 0 });
        expect(await redis.client.ttl(recoveriesKey('pill'))).to.be.within(72 * 3600 - 5, 72 * 3600);
      } else {
        expect(result).to.deep.equal({ identities: [IDENTITY], requeued: 0, dead: 1 });
      }
    }
    expect(await redis.client.zrange(DEAD, '0', '-1', 'WITHSCORES')).to.deep.equal([raw, NOW_TEXT]);
    expect(await redis.client.exists(queueKey('default'), recoveriesKey('pill'))).to.equal(0);
  });

  it('counts recoveries only within the window', async () => {
    await crashWhileHolding(IDENTITY, 'default', ['p']);
    await recoverOrphans(redis.client, NOW, { maxRecoveries: 1, windowSec: 100 });
    expect(await redis.client.ttl(recoveriesKey('p'))).to.be.within(95, 100);
    await redis.client.del(recoveriesKey('p')); // the window ran out
    await writeBeat(redis.client, IDENTITY, NOW);
    await fetchJobs(redis.client, IDENTITY, 'default', 1);
    await redis.client.del(processKey(IDENTITY));
    expect(await recoverOrphans(redis.client, NOW, { maxRecoveries: 1, windowSec: 100 })).to.include({ requeued: 1, dead: 0 });
  });

  it('requeues a job it cannot read a jid from', async () => {
    await writeBeat(redis.client, IDENTITY, NOW);
    await redis.client.lpush(queueKey('default'), 'not json');
    await fetchJobs(redis.client, IDENTITY, 'default', 1);
    await redis.client.del(processKey(IDENTITY));
    expect(await recoverOrphans(redis.client, NOW, { maxRecoveries: 0 })).to.include({ requeued: 1, dead: 0 });
    expect(await redis.client.lrange(queueKey('default'), 0, -1)).to.deep.equal(['not json']);
  });

  it('finds the private lists by SCAN when the super_queues set is missing, glob characters in the identity too', async () => {
    const odd = 'host[1]*?:77:abcdef012345';
    await crashWhileHolding(odd, 'with.dot', ['x']);
    await crashWhileHolding('host1a:77:abcdef012345', 'with.dot', ['not-mine']); // would match an unescaped pattern
    await redis.client.del(superQueuesKey(odd), superQueuesKey('host1a:77:abcdef012345'));
    await writeBeat(redis.client, 'host1a:77:abcdef012345', NOW); // alive after all
    expect(await recoverOrphans(redis.client, NOW)).to.deep.equal({ identities: [odd], requeued: 1, dead: 0 });
    expect(await redis.client.lrange(queueKey('with.dot'), 0, -1)).to.deep.equal([jobJson('x', 'with.dot')]);
  });

  it('unregisters a dead identity that holds nothing', async () => {
    await redis.client.sadd(SUPER_PROCESSES, IDENTITY);
    expect(await recoverOrphans(redis.client, NOW)).to.deep.equal({ identities: [IDENTITY], requeued: 0, dead: 0 });
    expect(await redis.client.exists(SUPER_PROCESSES)).to.equal(0);
  });

  it('does nothing when nobody is registered', async () => {
    expect(await recoverOrphans(redis.client, NOW)).to.deep.equal({ identities: [], requeued: 0, dead: 0 });
  });

  it('with scanUnregistered, recovers lists nobody registered, once an hour', async () => {
    await crashWhileHolding(IDENTITY, 'default', ['lost']);
    await redis.client.del(SUPER_PROCESSES, superQueuesKey(IDENTITY));
    expect((await recoverOrphans(redis.client, NOW)).requeued, 'without the option').to.equal(0);
    expect(await recoverOrphans(redis.client, NOW, { scanUnregistered: true })).to.deep.equal({ identities: [IDENTITY], requeued: 1, dead: 0 });
    expect(await redis.client.ttl(SUPER_FETCH_ORPHAN_CHECK)).to.be.within(3595, 3600);
    await crashWhileHolding(OTHER, 'default', ['lost-2']);
    await redis.client.del(SUPER_PROCESSES, superQueuesKey(OTHER));
    expect((await recoverOrphans(redis.client, NOW, { scanUnregistered: true })).requeued, 'within the hour').to.equal(0);
  });

  it('the script re-checks the heartbeat, so a process that came back keeps its jobs', async () => {
    await crashWhileHolding(IDENTITY, 'default', ['a']);
    await writeBeat(redis.client, IDENTITY, NOW); // back between the check and the script
    expect(await recoverScript(IDENTITY)).to.equal(-1);
    expect(await redis.client.llen(privateQueueKey(IDENTITY, 'default'))).to.equal(1);
    expect(await redis.client.sismember(SUPER_PROCESSES, IDENTITY)).to.equal(1);
  });

  describe('Kiq liveness leases (kiq:leases)', () => {
    /** A process that fetched one job and holds it, its heartbeat hash still there. */
    async function holding(identity: string, jid: string): Promise<void> {
      await writeBeat(redis.client, identity, NOW);
      await redis.client.lpush(queueKey('default'), jobJson(jid));
      await fetchJobs(redis.client, identity, 'default', 1);
    }

    it('a Kiq server whose lease has ended is dead although its 60 s heartbeat hash is still there', async () => {
      await holding(IDENTITY, 'kiq-dead');
      await redis.client.zadd(KIQ_LEASES, Date.now() - 1_000, IDENTITY); // ended a second ago
      expect(await recoverOrphans(redis.client, NOW)).to.deep.equal({ identities: [IDENTITY], requeued: 1, dead: 0 });
      expect(await redis.client.zscore(KIQ_LEASES, IDENTITY), 'the lease is dropped with it').to.equal(null);
    });

    it('a Kiq server whose lease runs is alive although its heartbeat hash is missing', async () => {
      await holding(IDENTITY, 'kiq-live');
      await renewLiveness(redis.client, IDENTITY, 10_000);
      await redis.client.del(processKey(IDENTITY));
      expect(await recoverOrphans(redis.client, NOW)).to.deep.equal({ identities: [], requeued: 0, dead: 0 });
      expect(await redis.client.llen(privateQueueKey(IDENTITY, 'default'))).to.equal(1);
    });

    it('an identity without a lease (a real Sidekiq Pro process) is judged by its heartbeat hash only', async () => {
      await holding(OTHER, 'pro-live');
      expect((await recoverOrphans(redis.client, NOW)).identities, 'hash present: alive, lease or not').to.deep.equal([]);
      await redis.client.del(processKey(OTHER));
      expect((await recoverOrphans(redis.client, NOW)).identities, 'hash gone: dead').to.deep.equal([OTHER]);
    });

    it('the script re-checks the lease by Redis time: renewed between the look and the script, it keeps its jobs', async () => {
      await holding(IDENTITY, 'renewed');
      await renewLiveness(redis.client, IDENTITY, 10_000);
      expect(await recoverScript(IDENTITY)).to.equal(-1);
    });

    it('takeBackOwn: a live process takes back its own lists (also of queues it no longer serves, found by SCAN) and keeps its lease', async () => {
      await holding(IDENTITY, 'mine-1');
      // a list of a queue the predecessor served, not registered any more
      await redis.client.lpush(privateQueueKey(IDENTITY, 'old'), jobJson('mine-2', 'old'));
      await renewLiveness(redis.client, IDENTITY, 10_000);
      expect(await takeBackOwn(redis.client, IDENTITY, NOW)).to.deep.equal({ requeued: 2, dead: 0 });
      expect(await redis.client.lrange(queueKey('default'), 0, -1)).to.deep.equal([jobJson('mine-1')]);
      expect(await redis.client.lrange(queueKey('old'), 0, -1)).to.deep.equal([jobJson('mine-2', 'old')]);
      expect(await redis.client.exists(privateQueueKey(IDENTITY, 'default'), privateQueueKey(IDENTITY, 'old'))).to.equal(0);
      expect(await redis.client.zscore(KIQ_LEASES, IDENTITY), 'lease kept').to.not.equal(null);
      expect(await takeBackOwn(redis.client, IDENTITY, NOW), 'nothing left').to.deep.equal({ requeued: 0, dead: 0 });
    });
  });
});
