/**
 * The dashboard over a real Ruby Sidekiq 6.4 server: its process and
 * running job show on /busy, its failed job (with Sidekiq's compressed
 * backtrace) on /retries, and the dashboard's Quiet button quiets it, as the
 * Web UI's does.
 */
import { expect } from 'chai';
import { RubyJob, pushWithRuby, requireSidekiqOrSkip, runSidekiq } from '../interop/sidekiq.js';
import { useRedis } from '../support/redis.js';
import { get, post, serve, type Served } from './support.js';

describe('dashboard over a real Ruby Sidekiq', function () {
  this.timeout(90_000);
  const redis = useRedis();
  let web: Served | undefined;

  before(function () {
    requireSidekiqOrSkip(this);
  });
  afterEach(async () => {
    await web?.close();
    web = undefined;
  });

  it('shows its process, running job and retry (backtrace decoded), and quiets it', async () => {
    const slowJid = await pushWithRuby(redis.url, { queue: 'default', class: RubyJob.Slow, args: [60] });
    const failingJid = await pushWithRuby(redis.url, { queue: 'default', class: RubyJob.Failing, args: ['x'], extra: { backtrace: true } });
    web = await serve({ redisUrl: redis.url });
    const seen: { busy?: string; retries?: string; detail?: string; identity?: string; quietSent?: boolean; quiet?: boolean; busyQuiet?: string } = {};
    const run = await runSidekiq({
      redisUrl: redis.url,
      queues: ['default'],
      concurrency: 2,
      timeoutMs: 60_000,
      until: async () => {
        if (!seen.busy) {
          const busy = await get(`${web!.base}/busy`);
          if (!busy.text.includes(slowJid)) return false;
          seen.busy = busy.text;
          seen.identity = /data-identity="([^"]+)"/.exec(busy.text)?.[1];
        }
        if (!seen.retries) {
          const retries = await get(`${web!.base}/retries`);
          const key = new RegExp(`href="/retries/([^"]+-${failingJid})"`).exec(retries.text)?.[1];
          if (!key) return false;
          seen.retries = retries.text;
          seen.detail = (await get(`${web!.base}/retries/${key}`)).text;
        }
        if (!seen.quietSent) {
          const res = await post(`${web!.base}/busy/quiet`, { identity: seen.identity ?? '' }, web!.handler.token);
          seen.quietSent = res.location === '/busy?done=quieted&n=1';
        }
        seen.quiet = (await redis.client.hget(seen.identity ?? '', 'quiet')) === 'true';
        if (seen.quiet) seen.busyQuiet = (await get(`${web!.base}/busy`)).text;
        return seen.quiet;
      },
    });
    expect(run.conditionMet, run.log).to.equal(true);
    expect(seen.busy).to.include(RubyJob.Slow).and.include('[60]');
    expect(seen.identity).to.match(/^[^:]+:\d+:[0-9a-f]{12}$/);
    expect(seen.retries).to.include(RubyJob.Failing).and.include(`KiqInterop::Error: KiqInterop::Failing ${failingJid}`);
    expect(seen.detail).to.include('<h2>Backtrace</h2>').and.include('worker.rb');
    expect(seen.quiet).to.equal(true);
    expect(seen.busyQuiet).to.match(/badge warn">quiet</);
  });
});
