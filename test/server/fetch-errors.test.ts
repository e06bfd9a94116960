/**
 * Fetch errors are loud (issue 9, defect 3), on a real Redis: a queue key of
 * the wrong type and ACL users that may not run LMOVE/BLMOVE or EVAL/EVALSHA.
 * The first failure of an outage is logged with the Redis error and the
 * queue, the end of it as `fetch_restored`, and a permanent failure shows in
 * the heartbeat hash (`kiq_errors`) that `kiq processes` reads.
 */
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { Kiq, defineWorker, type KiqOptions } from '../../src/index.js';
import { kBeat } from '../../src/server/heartbeat.js';
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
  const kiqs: Kiq[] = [];
  const users: string[] = [];
  const ran: string[] = [];
  const Echo = defineWorker({
    class: 'FetchErrorsEcho',
    queue: 'default',
    async perform([id]: [string]) {
      ran.push(id);
    },
  });

  afterEach(async () => {
    for (const kiq of kiqs.splice(0)) await kiq.stop({ timeout: 1_000 }).catch(() => undefined);
    for (const user of users.splice(0)) await redis.client.acl('DELUSER', user);
    ran.length = 0;
  });

  async function start(options: KiqOptions = {}): Promise<{ kiq: Kiq; logger: MemoryLogger }> {
    const logger = silent();
    const kiq = new Kiq({ redisUrl: redis.url, queues: { default: 2 }, workers: [Echo], fetchInterval: 50, logger, ...options });
    kiqs.push(kiq);
    await kiq.start();
    return { kiq, logger };
  }

  /** An ACL user allowed everything but `denied`; its URL on the test DB. */
  async function userWithout(...denied: string[]): Promise<string> {
    const name = `kiq-test-${randomBytes(4).toString('hex')}`;
    const password = randomBytes(8).toString('hex');
    users.push(name);
    await redis.client.acl('SETUSER', name, 'on', `>${password}`, '~*', '&*', '+@all', ...denied.map((command) => `-${command}`));
    const url = new URL(redis.url);
    url.username = name;
    url.password = password;
    return url.toString();
  }

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

  it('names the denied command when the ACL forbids EVAL and EVALSHA', async () => {
    const url = await userWithout('eval', 'evalsha');
    const { logger } = await start({ redisUrl: url });
    await until(() => events(logger, 'fetch_failed').length > 0, 10_000, 'fetch_failed');
    const [failed] = events(logger, 'fetch_failed');
    expect(failed).to.include({ queue: 'default', permanent: true });
    expect(failed!.error).to.match(/may not run EVAL/);
  });
});
