/**
 * GET /metrics on a real Redis (issue 15): the exposition parses, job
 * counts equal the jobs run per outcome, the duration histogram counts the
 * performed ones, cluster-wide gauges come from Redis at most once per
 * `sampleMs` however often it is scraped, no label holds a jid.
 */
import { expect } from 'chai';
import { Kiq, defineWorker, type KiqOptions } from '../../src/index.js';
import { silent } from '../support/logger.js';
import { useRedis } from '../support/redis.js';
import { until } from '../support/wait.js';
import { parseExposition, valueOf, type Sample } from './prometheus-text.js';

describe('Prometheus metrics (real Redis)', function () {
  this.timeout(60_000);
  const redis = useRedis();
  const kiqs: Kiq[] = [];
  const Ok = defineWorker({ class: 'MetricsOk', queue: 'default', async perform() {} });
  const Dies = defineWorker({ class: 'MetricsDies', queue: 'default', retry: 0, async perform() { throw new Error('dies'); } });
  const Retries = defineWorker({ class: 'MetricsRetries', queue: 'default', retry: 3, async perform() { throw new Error('again'); } });
  const Dropped = defineWorker({ class: 'MetricsDropped', queue: 'default', retry: false, async perform() { throw new Error('dropped'); } });

  afterEach(async () => {
    for (const kiq of kiqs.splice(0)) await kiq.stop({ timeout: 1_000 }).catch(() => undefined);
  });

  async function start(options: KiqOptions = {}): Promise<Kiq> {
    const kiq = new Kiq({
      redisUrl: redis.url,
      queues: { default: 5 },
      workers: [Ok, Dies, Retries, Dropped],
      fetchInterval: 50,
      logger: silent(),
      ...options,
      health: { port: 0, ...options.health },
    });
    kiqs.push(kiq);
    await kiq.start();
    return kiq;
  }

  async function scrape(kiq: Kiq): Promise<{ samples: Sample[]; types: Map<string, string>; type: string }> {
    const response = await fetch(`http://127.0.0.1:${kiq.healthPort}/metrics`);
    expect(response.status).to.equal(200);
    return { ...parseExposition(await response.text()), type: response.headers.get('content-type') ?? '' };
  }

  const jobs = (samples: readonly Sample[]) => samples.filter((s) => s.name === 'kiq_jobs_total').reduce((sum, s) => sum + s.value, 0);

  it('counts every job by queue, class and outcome, times the performed ones, and labels no jid', async () => {
    const kiq = await start({ health: { sampleMs: 100 } });
    const jids: string[] = [];
    for (let i = 0; i < 7; i++) jids.push((await kiq.enqueue(Ok, [])).jid);
    for (let i = 0; i < 2; i++) jids.push((await kiq.enqueue(Dies, [])).jid);
    for (let i = 0; i < 3; i++) jids.push((await kiq.enqueue(Retries, [])).jid);
    jids.push((await kiq.enqueue(Dropped, [])).jid);
    await kiq.enqueue({ class: 'RubyOnly', queue: 'elsewhere', args: [] });
    await kiq.enqueue({ class: 'RubyOnly', queue: 'elsewhere', args: [] });

    let last: Sample[] = [];
    await until(async () => {
      last = (await scrape(kiq)).samples;
      return jobs(last) === 13;
    }, 15_000, '13 jobs counted', 50);
    const { samples, types, type } = await scrape(kiq);
    expect(type).to.match(/^text\/plain; version=0\.0\.4/);
    const count = (cls: string, outcome: string) => valueOf(samples, 'kiq_jobs_total', { queue: 'default', class: cls, outcome });
    expect(count('MetricsOk', 'success')).to.equal(7);
    expect(count('MetricsDies', 'dead')).to.equal(2);
    expect(count('MetricsRetries', 'retry')).to.equal(3);
    expect(count('MetricsDropped', 'discard')).to.equal(1);
    expect(jobs(samples)).to.equal(13);
    expect(types.get('kiq_jobs_total')).to.equal('counter');
    expect(types.get('kiq_job_duration_seconds')).to.equal('histogram');
    expect(valueOf(samples, 'kiq_job_duration_seconds_count', { queue: 'default', class: 'MetricsOk' })).to.equal(7);
    expect(valueOf(samples, 'kiq_job_duration_seconds_bucket', { queue: 'default', class: 'MetricsOk', le: '+Inf' })).to.equal(7);
    expect(valueOf(samples, 'kiq_job_duration_seconds_count', { queue: 'default', class: 'MetricsRetries' })).to.equal(3);
    expect(valueOf(samples, 'kiq_busy', { queue: 'default' })).to.equal(0);
    expect(valueOf(samples, 'kiq_buffered_jobs')).to.equal(0);
    expect(valueOf(samples, 'kiq_fetch_errors_total', { queue: 'default' })).to.equal(0);
    expect(valueOf(samples, 'kiq_redis_reconnects_total')).to.equal(0);
    expect([0, 1]).to.include(valueOf(samples, 'kiq_leader'));
    // cluster-wide, from Redis (sampled every 100 ms here)
    await until(async () => {
      const now = (await scrape(kiq)).samples;
      return valueOf(now, 'kiq_retry_set_size') === 3 && valueOf(now, 'kiq_dead_set_size') === 2;
    }, 5_000, 'the set sizes', 50);
    const cluster = (await scrape(kiq)).samples;
    expect(valueOf(cluster, 'kiq_queue_size', { queue: 'elsewhere' })).to.equal(2);
    expect(valueOf(cluster, 'kiq_queue_latency_seconds', { queue: 'elsewhere' })).to.be.at.least(0);
    // bounded labels: never a jid
    for (const sample of cluster) {
      expect(Object.keys(sample.labels)).not.to.include('jid');
      for (const value of Object.values(sample.labels)) expect(jids).not.to.include(value);
    }
  });

  it('reads the cluster-wide gauges from Redis once per sampleMs, however often it is scraped', async () => {
    const kiq = await start({ health: { sampleMs: 60_000 } });
    const zcards = async () => Number(/cmdstat_zcard:calls=(\d+)/.exec(String(await redis.client.info('commandstats')))?.[1] ?? 0);
    await scrape(kiq);
    const before = await zcards();
    await Promise.all(Array.from({ length: 20 }, () => scrape(kiq)));
    for (let i = 0; i < 10; i++) await scrape(kiq);
    expect(await zcards()).to.equal(before);
  });

  it('counts a Redis reconnect and the fetch errors of a queue', async () => {
    const kiq = await start();
    const list = String(await redis.client.client('LIST'));
    const pooled = list.split('\n').filter((line) => line.includes(`name=kiq:${kiq.identity}:pool:`));
    expect(pooled.length).to.be.above(0);
    const id = /id=(\d+)/.exec(pooled[0]!)![1]!;
    await redis.client.client('KILL', 'ID', id);
    await until(async () => valueOf((await scrape(kiq)).samples, 'kiq_redis_reconnects_total') >= 1, 10_000, 'a reconnect counted', 50);

    await redis.client.set('queue:default', 'not a list');
    await until(async () => valueOf((await scrape(kiq)).samples, 'kiq_fetch_errors_total', { queue: 'default' }) >= 1, 10_000, 'fetch errors counted', 50);
    await redis.client.del('queue:default');
  });

  it('kiq.prometheus is the registry (prometheus: true without a port)', async () => {
    const kiq = new Kiq({ redisUrl: redis.url, queues: { default: 1 }, workers: [Ok], logger: silent(), health: { prometheus: true } });
    kiqs.push(kiq);
    expect(kiq.prometheus).to.equal(undefined);
    await kiq.start();
    expect(kiq.healthPort).to.equal(undefined);
    await kiq.enqueue(Ok, []);
    await until(async () => jobs(parseExposition(await kiq.prometheus!.metrics()).samples) === 1, 10_000, 'one job counted', 50);
  });

  it('/metrics answers 404 with prometheus: false', async () => {
    const kiq = await start({ health: { prometheus: false } });
    expect(kiq.prometheus).to.equal(undefined);
    expect((await fetch(`http://127.0.0.1:${kiq.healthPort}/metrics`)).status).to.equal(404);
    expect((await fetch(`http://127.0.0.1:${kiq.healthPort}/healthz`)).status).to.equal(200);
  });

  it('keeps no Prometheus metrics by default', async () => {
    const kiq = new Kiq({ redisUrl: redis.url, queues: { default: 1 }, workers: [Ok], logger: silent() });
    kiqs.push(kiq);
    await kiq.start();
    expect(kiq.prometheus).to.equal(undefined);
  });
});
