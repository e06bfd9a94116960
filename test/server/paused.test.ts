/**
 * Paused queues end to end: a Kiq server takes nothing from a queue in the
 * `paused` set (Sidekiq Pro's layout), neither by the batch fetch nor by the
 * blocking one, keeps working its other queues, and takes the waiting jobs
 * once the queue is unpaused; `kiq queue pause|unpause` and `kiq queues`
 * show and change it. Real Redis.
 */
import { expect } from 'chai';
import { hasTag, Tag } from '../../machines/tags.js';
import { pauseQueue, pausedQueues, unpauseQueue } from '../../src/admin/pause.js';
import type { InspectionEvent } from 'xstate';
import { defineWorker, Kiq, type Worker } from '../../src/index.js';
import { runInProcess } from '../cli/support.js';
import { silent } from '../support/logger.js';
import { useRedis } from '../support/redis.js';
import { until } from '../support/wait.js';

describe('Paused queues (real Redis)', () => {
  const redis = useRedis();
  const done: string[] = [];
  const Echo = defineWorker({
    class: 'Paused::Echo',
    perform(args: unknown[]) {
      done.push(String(args[0]));
    },
  });
  let kiq: Kiq | undefined;
  /** Times the `held` queue's fetcher entered `blocking` (each a fetch that took nothing, then a wait). */
  let heldWaits = 0;
  const inspect = (event: InspectionEvent) => {
    if (event.type !== '@xstate.snapshot' || (event.actorRef as { id?: string }).id !== 'fetcher') return;
    const snapshot = event.snapshot as { context?: { queue?: string } };
    if (snapshot.context?.queue === 'held' && hasTag(snapshot, Tag.blocking)) heldWaits++;
  };
  /** Waits until the held fetcher has gone round `n` more times. */
  const heldRounds = async (n: number) => {
    const target = heldWaits + n;
    await until(() => heldWaits >= target, 10_000, `${n} more fetch rounds on held`);
  };

  afterEach(async () => {
    await kiq?.stop();
    kiq = undefined;
    done.length = 0;
  });

  it('a server fetches nothing from a paused queue, works the others, and resumes when unpaused', async () => {
    await pauseQueue(redis.client, 'held');
    kiq = new Kiq({ redisUrl: redis.url, queues: { held: 2, free: 2 }, workers: [Echo] as Worker[], fetchInterval: 50, pollInterval: 60_000, logger: silent(), inspect });
    await kiq.start();
    for (let i = 0; i < 3; i++) await kiq.enqueue(Echo, [`held-${i}`], { queue: 'held', confirm: true });
    await kiq.enqueue(Echo, ['free-0'], { queue: 'free', confirm: true });
    await until(() => done.includes('free-0'), 5_000, 'the free queue worked');
    // the held queue's fetcher goes round (fetch, wait) several times with its jobs waiting
    await heldRounds(4);
    expect(done.filter((name) => name.startsWith('held'))).to.deep.equal([]);
    expect(await redis.client.llen('queue:held')).to.equal(3);
    expect(await redis.client.llen(`queue:sq|${kiq.identity}|held`)).to.equal(0);

    expect(await unpauseQueue(redis.client, 'held')).to.equal(true);
    await until(() => done.filter((name) => name.startsWith('held')).length === 3, 5_000, 'held jobs run after unpause');
    expect(await redis.client.llen('queue:held')).to.equal(0);
  });

  it('pause while the server waits in a blocking fetch: no job is taken after that wait', async () => {
    kiq = new Kiq({ redisUrl: redis.url, queues: { held: 2 }, workers: [Echo] as Worker[], fetchInterval: 100, pollInterval: 60_000, logger: silent(), inspect });
    await kiq.start();
    await kiq.enqueue(Echo, ['before'], { queue: 'held', confirm: true });
    await until(() => done.includes('before'), 5_000, 'a job ran before the pause');
    await pauseQueue(redis.client, 'held');
    // the BLMOVE in flight when the pause landed ends within one fetchInterval; the next rounds see the pause
    await heldRounds(2);
    await kiq.enqueue(Echo, ['after'], { queue: 'held', confirm: true });
    await heldRounds(3);
    expect(done).to.deep.equal(['before']);
    expect(await redis.client.llen('queue:held')).to.equal(1);
  });

  it('kiq queue pause|unpause and the PAUSED column of kiq queues', async () => {
    await redis.client.sadd('queues', 'mailers', 'default');
    const pause = await runInProcess(['queue', 'pause', 'mailers'], { redisUrl: redis.url });
    expect(pause.code).to.equal(0);
    expect(pause.stdout).to.equal('paused queue mailers\n');
    expect(await pausedQueues(redis.client)).to.deep.equal(['mailers']);
    expect((await runInProcess(['queue', 'pause', 'mailers'], { redisUrl: redis.url })).stdout).to.equal('queue mailers was already paused\n');
    const listed = await runInProcess(['queues'], { redisUrl: redis.url });
    expect(listed.stdout).to.match(/^QUEUE +SIZE +LATENCY +PAUSED\ndefault +0 +0s +no\nmailers +0 +0s +yes\n$/);
    const json = JSON.parse((await runInProcess(['queues', '--json'], { redisUrl: redis.url })).stdout) as { name: string; paused: boolean }[];
    expect(json.map(({ name, paused }) => [name, paused])).to.deep.equal([['default', false], ['mailers', true]]);
    const unpause = await runInProcess(['queue', 'unpause', 'mailers'], { redisUrl: redis.url });
    expect([unpause.code, unpause.stdout]).to.deep.equal([0, 'unpaused queue mailers\n']);
    expect((await runInProcess(['queue', 'unpause', 'mailers'], { redisUrl: redis.url })).stdout).to.equal('queue mailers was not paused\n');
    expect(await redis.client.exists('paused')).to.equal(0);
  });
});
