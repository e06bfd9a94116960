/**
 * Fetch errors are loud (issue 9, defect 3), on a real Redis: a queue key of
 * the wrong type and ACL users that may not run LMOVE/BLMOVE or EVAL/EVALSHA.
 * The first failure of an outage is logged with the Redis error and the
 * queue, the end of it as `fetch_restored`, and a permanent failure shows in
 * the heartbeat hash (`kiq_errors`) that `kiq processes` reads.
 */
import { expect } from 'chai';
import type { Kiq, KiqOptions } from '../../src/index.js';
import { kBeat } from '../../src/server/heartbeat.js';
import { useAclUsers } from '../support/acl-user.js';
import { useEchoWorker } from '../support/echo-worker.js';
import { useKiqs } from '../support/kiqs.js';
import { silent, type MemoryLogger } from '../support/logger.js';
import { useRedis } from '../support/redis.js';
import { until } from '../support/wait.js';

/** The parsed log lines with `event`. */
function events(logger: MemoryLogger, event: string): Record<string, unknown>[] {
  return logger.lines
    .map((line) => {
      try {
        return JSON.parse(line) as Record<string, unknown>;
      } catch {
        return {};
      }
    })
    .filter((line) => line.event === event);
}

describe('Fetch errors are loud (real Redis)', function () {
  this.timeout(30_000);
  const redis = useRedis();
  const kiqs = useKiqs(() => ({ redisUrl: redis.url, queues: { default: 2 }, workers: [Echo], fetchInterval: 50 }), 1_000);
  const users = useAclUsers(redis);
  const { Echo, ran } = useEchoWorker('FetchErrorsEcho');

  async function start(options: KiqOptions = {}): Promise<{ kiq: Kiq; logger: MemoryLogger }> {
    const logger = silent();
    return { kiq: await kiqs.start({ logger, ...options }), logger };
  }

  /** An ACL user allowed everything but `denied`; its URL on the test DB. */
  const userWithout = (...denied: string[]) => users.create(denied.map((command) => `-${command}`));

  it('logs WRONGTYPE on the queue key once with the queue, posts it in the heartbeat, then fetch_restored', async () => {
    await redis.client.set('queue:default', 'not a list');
    const { kiq, logger } = await start();
    await until(() => events(logger, 'fetch_failed').length > 0, 10_000, 'fetch_failed');
    const [failed] = events(logger, 'fetch_failed');
    expect(failed).to.include({ queue: 'default', key: 'queue:default', permanent: true });
    expect(failed!.cause).to.match(/WRONGTYPE/);
    expect(failed!.error).to.match(/wrong type/);
    await kiq[kBeat]();
    const errors = JSON.parse((await redis.client.hget(kiq.identity, 'kiq_errors')) ?? 'null') as string[];
    expect(errors).to.have.length(1);
    expect(errors[0]).to.match(/^fetch:default: .*WRONGTYPE/);

    await redis.client.del('queue:default');
    await kiq.enqueue(Echo, ['after']);
    await until(() => ran.includes('after'), 10_000, 'the job to run once the key is fixed');
    await until(() => events(logger, 'fetch_restored').length > 0, 5_000, 'fetch_restored');
    expect(events(logger, 'fetch_failed')).to.have.length(1);
    await kiq[kBeat]();
    expect(await redis.client.hget(kiq.identity, 'kiq_errors')).to.equal('[]');
  });

  it('names the denied command when the ACL forbids LMOVE and BLMOVE', async () => {
    const url = await userWithout('lmove', 'blmove');
    const { kiq, logger } = await start({ redisUrl: url });
    await until(() => events(logger, 'fetch_failed').length > 0, 10_000, 'fetch_failed');
    const [failed] = events(logger, 'fetch_failed');
    expect(failed).to.include({ queue: 'default', permanent: true });
    expect(failed!.error).to.match(/may not run LMOVE/);
    expect(failed!.cause).to.match(/can't run this command|NOPERM/);
    await kiq[kBeat]();
    expect(await redis.client.hget(kiq.identity, 'kiq_errors')).to.match(/fetch:default: the Redis user may not run LMOVE/);
  });

  it('an ACL that denies only BLMOVE is logged once (no failed/restored flapping with the batch fetch) and jobs still run', async () => {
    const url = await userWithout('blmove');
    const { kiq, logger } = await start({ redisUrl: url });
    await until(() => events(logger, 'fetch_failed').length > 0, 10_000, 'fetch_failed');
    await kiq.enqueue(Echo, ['through LMOVE']);
    await until(() => ran.includes('through LMOVE'), 10_000, 'the job, fetched by the batch fetch');
    // an observation window over several backoff cycles of the blocking call
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(events(logger, 'fetch_failed')).to.have.length(1);
    expect(events(logger, 'fetch_restored')).to.have.length(0);
    expect(events(logger, 'fetch_failed')[0]).to.include({ queue: 'default', blocking: true, error: 'the Redis user may not run BLMOVE (ACL NOPERM)' });
    await kiq[kBeat]();
    expect(JSON.parse((await redis.client.hget(kiq.identity, 'kiq_errors'))!)).to.have.length(1).and.satisfy((errors: string[]) => errors[0]!.startsWith('fetch:default:blocking: '));
  });

  it('without EVAL and EVALSHA every loop that needs a script says so: fetch, both pollers, leadership', async () => {
    const url = await userWithout('eval', 'evalsha');
    const { kiq, logger } = await start({ redisUrl: url, pollInterval: 50 });
    const loops = ['fetch_failed', 'poll_retry_failed', 'poll_schedule_failed', 'leadership_claim_failed'];
    await until(() => loops.every((event) => events(logger, event).length > 0), 10_000, loops.join(', '));
    const [failed] = events(logger, 'fetch_failed');
    expect(failed).to.include({ queue: 'default', permanent: true });
    expect(failed!.error).to.match(/may not run EVAL/);
    for (const event of loops) {
      expect(events(logger, event), event).to.have.length(1);
      expect(events(logger, event)[0], event).to.include({ permanent: true });
    }
    await kiq[kBeat]();
    const posted = JSON.parse((await redis.client.hget(kiq.identity, 'kiq_errors')) ?? '[]') as string[];
    expect(posted.map((line) => /^([\w:]+?): /.exec(line)?.[1])).to.deep.equal(['fetch:default', 'leadership', 'poll_retry', 'poll_schedule']);
  });

  it('logs acks the ACL denies (no LREM), with the queue, and posts them', async () => {
    const url = await userWithout('lrem');
    const { kiq, logger } = await start({ redisUrl: url });
    await kiq.enqueue(Echo, ['once']);
    await until(() => events(logger, 'ack_failed').length > 0, 10_000, 'ack_failed');
    const [failed] = events(logger, 'ack_failed');
    expect(failed).to.include({ queue: 'default', permanent: true });
    expect(failed!.error).to.match(/may not run LREM/);
    expect(ran).to.deep.equal(['once']);
    await kiq[kBeat]();
    expect(await redis.client.hget(kiq.identity, 'kiq_errors')).to.match(/ack:default: the Redis user may not run LREM/);
    // allowed again: the held ack lands (the job does not run twice) and the outage ends
    await redis.client.acl('SETUSER', decodeURIComponent(new URL(url).username), '+lrem');
    await until(() => events(logger, 'ack_restored').length > 0, 10_000, 'ack_restored');
    expect(await redis.client.llen(`queue:sq|${kiq.identity}|default`)).to.equal(0);
    expect(ran).to.deep.equal(['once']);
  });
});
