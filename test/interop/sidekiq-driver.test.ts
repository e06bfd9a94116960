/**
 * The interop driver itself, end to end: jobs pushed by Ruby's
 * Sidekiq::Client are performed by a real Sidekiq 6.4 server that the driver
 * starts and stops. If this fails, every other interop test means nothing.
 */
import { expect } from 'chai';
import { useRedis } from '../support/redis.js';
import { performedJobs, pushWithRuby, requireSidekiqOrSkip, RubyJob, runSidekiq } from './sidekiq.js';

describe('interop driver (real Ruby Sidekiq 6.4)', function () {
  this.timeout(60_000);
  const redis = useRedis();

  before(function () {
    requireSidekiqOrSkip(this);
  });

  it('runs jobs pushed with Sidekiq::Client and shuts Sidekiq down cleanly', async () => {
    const pushed = [
      { queue: 'default', args: [1, 'two'] },
      { queue: 'default', args: [{ nested: [true, null] }] },
      { queue: 'low', args: [] },
    ];
    const jids: string[] = [];
    for (const job of pushed) jids.push(await pushWithRuby(redis.url, { ...job, class: RubyJob.Echo }));

    const run = await runSidekiq({
      redisUrl: redis.url,
      queues: ['default', 'low'],
      until: async () => (await redis.client.llen('kiq-interop:performed')) >= pushed.length,
      timeoutMs: 30_000,
    });

    expect(run.conditionMet, run.log).to.equal(true);
    expect(run.exitCode, run.log).to.equal(0);
    expect(run.killed).to.equal(false);
    const performed = await performedJobs(redis.client);
    expect(performed.map((p) => p.jid).sort()).to.deep.equal([...jids].sort());
    for (const [i, job] of pushed.entries()) {
      const done = performed.find((p) => p.jid === jids[i]);
      expect(done, `jid ${jids[i]}`).to.include({ class: RubyJob.Echo, queue: job.queue, retry_count: null });
      expect(done?.args).to.deep.equal(job.args);
      expect(done?.enqueued_at).to.be.a('number');
      expect(done?.created_at).to.be.a('number');
    }
    // Clean shutdown removes the process from the `processes` set.
    expect(await redis.client.scard('processes')).to.equal(0);
  });

  it('promotes a job scheduled with Sidekiq::Client (short poll interval is in effect)', async () => {
    const at = Date.now() / 1000 + 1;
    const jid = await pushWithRuby(redis.url, { queue: 'default', class: RubyJob.Echo, args: ['later'], at });
    expect(await redis.client.zcard('schedule')).to.equal(1);

    const run = await runSidekiq({
      redisUrl: redis.url,
      queues: ['default'],
      until: async () => (await redis.client.llen('kiq-interop:performed')) >= 1,
      // Sidekiq 6.4's first poll comes 0-5 s after boot, then every 0.5-1.5 s.
      timeoutMs: 20_000,
    });

    expect(run.conditionMet, run.log).to.equal(true);
    expect(run.exitCode, run.log).to.equal(0);
    const [performed] = await performedJobs(redis.client);
    expect(performed).to.include({ jid, class: RubyJob.Echo, queue: 'default' });
    expect(performed?.args).to.deep.equal(['later']);
    expect(performed?.enqueued_at).to.be.at.least(at);
  });
});
