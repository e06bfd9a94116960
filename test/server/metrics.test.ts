/**
 * Execution metrics in Sidekiq 7.x's and 8.x's layouts: the counting rules,
 * the key names, and what one flush writes, byte for byte against what the
 * real Sidekiq 7.3.10 and 8.1.7 wrote for the same runs
 * (test/interop/fixtures/sidekiq-wire/). Real Redis.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { ManualClock } from '../../src/clock.js';
import type { JobPayload } from '../../src/job/payload.js';
import { Heartbeat } from '../../src/server/heartbeat.js';
import { ProcessState } from '../../src/server/process-state.js';
import { defineWorker, Kiq, type KiqOptions, type Worker } from '../../src/index.js';
import { histogramKey7, histogramKey8, metricsKey7, metricsKey8, metricsTenMinuteKey8 } from '../../src/redis/keys.js';
import { ExecutionMetrics, metricsClass } from '../../src/server/metrics/execution-metrics.js';
import { bucketOf, HISTOGRAM_BUCKETS } from '../../src/server/metrics/histogram.js';
import { MetricsFlusher } from '../../src/server/metrics/metrics-flusher.js';
import { metricsTime } from '../../src/redis/keys.js';
import { METRICS_MID_TTL_SEC, METRICS_SHORT_TTL_SEC, writeMetrics } from '../../src/server/metrics/write-metrics.js';
import type { JobOutcome } from '../../src/job-events.js';
import { silent } from '../support/logger.js';
import { useRedis } from '../support/redis.js';
import { until } from '../support/wait.js';

interface RawKey {
  readonly type: string;
  readonly ttl: number;
  readonly value: unknown;
}
const FIXTURES = JSON.parse(readFileSync(new URL('../interop/fixtures/sidekiq-wire/selftest-excerpts.json', import.meta.url), 'utf8')) as Record<
  string,
  { readonly metrics_after_stop: Record<string, RawKey> }
>;
const SIDEKIQ_7 = FIXTURES['7.3.10']!.metrics_after_stop;
const SIDEKIQ_8 = FIXTURES['8.1.7']!.metrics_after_stop;

/** 2026-12-03 08:24:17.5 UTC: the minute of the fixtures' last flush. */
const AT_0824 = Date.UTC(2026, 11, 3, 8, 24, 17, 500);

function job(className: string, extra: Partial<JobPayload> = {}): { job: JobPayload; raw: string } {
  const payload: JobPayload = { class: className, args: [], jid: 'a319acf4a129c1d6e0eec601', queue: 'default', ...extra };
  return { job: payload, raw: JSON.stringify(payload) };
}
const success = (className: string, durationMs: number, extra: Partial<JobPayload> = {}): JobOutcome => ({ kind: 'success', queue: 'default', durationMs, ...job(className, extra) });
const retry = (className: string, durationMs?: number): JobOutcome => ({
  kind: 'retry',
  queue: 'default',
  error: new Error('x'),
  json: '{}',
  retryAtSec: 1,
  ...(durationMs === undefined ? {} : { durationMs }),
  ...job(className),
});

/** A string key's raw bytes, as Ruby's `rawdump.rb` shows them (each byte one char). */
async function bytes(redis: Redis, key: string): Promise<string> {
  const buffer = await redis.getBuffer(key);
  return buffer === null ? '' : buffer.toString('latin1');
}

describe('Execution metrics', () => {
  describe('histogram buckets (Sidekiq BUCKET_INTERVALS)', () => {
    it('puts a run in the first bucket whose bound it is below', () => {
      expect(HISTOGRAM_BUCKETS).to.equal(26);
      expect([0, 19, 20, 29, 30, 280, 334, 335, 12_000, 12_999, 13_000, 334_999, 335_000, 1e12].map(bucketOf)).to.deep.equal([
        0, 0, 1, 1, 2, 7, 7, 8, 16, 16, 17, 24, 25, 25,
      ]);
    });
  });

  describe('keys (UTC; 7.x and 8.x spellings)', () => {
    it('spells the per-minute, 10-minute and histogram keys as Sidekiq 7.3 and 8.1 do', () => {
      const t = metricsTime(Date.UTC(2026, 11, 3, 8, 4, 59));
      expect(metricsKey7(t)).to.equal('j|20261203|8:4');
      expect(metricsKey8(t)).to.equal('j|261203|8:04');
      expect(metricsTenMinuteKey8(t)).to.equal('j|261203|8:0');
      expect(histogramKey7('Mailer', t)).to.equal('Mailer-03-08:4');
      expect(histogramKey8('Mailer', t)).to.equal('h|Mailer-3-8:4');
      const late = metricsTime(Date.UTC(2027, 0, 31, 23, 59, 0));
      expect([metricsKey7(late), metricsKey8(late), metricsTenMinuteKey8(late), histogramKey7('A::B', late), histogramKey8('A::B', late)]).to.deep.equal([
        'j|20270131|23:59',
        'j|270131|23:59',
        'j|270131|23:5',
        'A::B-31-23:59',
        'h|A::B-31-23:59',
      ]);
    });

    it('matches the keys the real 7.3 and 8.1 wrote at 08:24 on 2026-12-03', () => {
      const t = metricsTime(AT_0824);
      expect(SIDEKIQ_7).to.have.keys(['Interop::Echo-03-08:23', histogramKey7('Interop::Echo', t), 'j|20261203|8:23', metricsKey7(t)]);
      expect(SIDEKIQ_8).to.have.keys([histogramKey8('Interop::Echo', t), histogramKey8('Interop::Slow', t), metricsTenMinuteKey8(t), metricsKey8(t)]);
    });
  });

  describe('counting (Sidekiq ExecutionTracker#track)', () => {
    it('p for every performed job, f for failures, ms and histogram for successes only', () => {
      const metrics = new ExecutionMetrics();
      metrics.finished(success('A', 7.4));
      metrics.finished(success('A', 280));
      metrics.finished(retry('A', 3));
      metrics.finished({ kind: 'dead', queue: 'q', error: new Error('x'), json: '{}', durationMs: 1, ...job('B') });
      metrics.finished({ kind: 'aborted', queue: 'q', reason: 'shutdown', error: new Error('abort'), ...job('B') });
      // never performed: not counted (Sidekiq's middleware never sees these)
      metrics.finished(retry('Unknown'));
      metrics.finished({ kind: 'aborted', queue: 'q', reason: 'expired', ...job('C') });
      metrics.finished({ kind: 'aborted', queue: 'q', reason: 'shutdown', ...job('C') });
      const snapshot = metrics.take();
      expect([...snapshot.keys()]).to.deep.equal(['A', 'B']);
      const a = snapshot.get('A')!;
      expect({ p: a.processed, f: a.failed, ms: a.ms, timed: a.timed }).to.deep.equal({ p: 3, f: 1, ms: 7 + 280, timed: 2 });
      expect(a.histogram[0]).to.equal(1);
      expect(a.histogram[7]).to.equal(1);
      const b = snapshot.get('B')!;
      expect({ p: b.processed, f: b.failed, timed: b.timed }).to.deep.equal({ p: 2, f: 2, timed: 0 });
      expect(metrics.empty).to.equal(true);
    });

    it('names a job by wrapped when present, as Sidekiq\'s middleware', () => {
      expect(metricsClass({ class: 'Sidekiq::ActiveJob::Wrapper', wrapped: 'SendInvoice' })).to.equal('SendInvoice');
      expect(metricsClass({ class: 'Plain' })).to.equal('Plain');
      const metrics = new ExecutionMetrics();
      metrics.finished(success('Sidekiq::ActiveJob::Wrapper', 5, { wrapped: 'SendInvoice' }));
      expect([...metrics.take().keys()]).to.deep.equal(['SendInvoice']);
    });

    it('restore adds back what a failed write took', () => {
      const metrics = new ExecutionMetrics();
      metrics.finished(success('A', 1));
      const taken = metrics.take();
      metrics.finished(success('A', 2));
      metrics.restore(taken);
      const a = metrics.take().get('A')!;
      expect({ p: a.processed, ms: a.ms, timed: a.timed, b0: a.histogram[0] }).to.deep.equal({ p: 2, ms: 3, timed: 2, b0: 2 });
    });
  });

  describe('one flush (real Redis)', () => {
    const redis = useRedis();

    it('writes what the real 7.3 wrote for 5 quick Echo runs and 2 failures, value, type and TTL', async () => {
      const metrics = new ExecutionMetrics();
      for (const ms of [1, 1, 1, 1, 0]) metrics.finished(success('Interop::Echo', ms));
      metrics.finished(retry('Interop::Failing', 2));
      metrics.finished(retry('Interop::Failing', 2));
      await writeMetrics(redis.client, metrics.take(), AT_0824);
      const hash = 'j|20261203|8:24';
      expect(await redis.client.hgetall(hash)).to.deep.equal(SIDEKIQ_7[hash]!.value);
      expect(await redis.client.type(hash)).to.equal(SIDEKIQ_7[hash]!.type);
      const gram = 'Interop::Echo-03-08:24';
      expect(await bytes(redis.client, gram)).to.equal(SIDEKIQ_7[gram]!.value);
      expect(await redis.client.type(gram)).to.equal('string');
      for (const key of [hash, gram]) expect(await redis.client.ttl(key)).to.be.within(METRICS_SHORT_TTL_SEC - 5, METRICS_SHORT_TTL_SEC).and.to.be.at.least(SIDEKIQ_7[key]!.ttl);
      // no histogram for a class that only failed (Sidekiq times successes only)
      expect(await redis.client.exists('Interop::Failing-03-08:24', 'h|Interop::Failing-3-8:24')).to.equal(0);
    });

    it('writes what the real 8.1 wrote for 11 Echo runs, 2 failures and a 12 s Slow run, in both 8.x hashes', async () => {
      const metrics = new ExecutionMetrics();
      for (const ms of [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0]) metrics.finished(success('Interop::Echo', ms));
      metrics.finished(retry('Interop::Failing', 2));
      metrics.finished(retry('Interop::Failing', 2));
      metrics.finished(success('Interop::Slow', 12_000.2));
      await writeMetrics(redis.client, metrics.take(), AT_0824);
      for (const [key, ttl] of [
        ['j|261203|8:24', METRICS_SHORT_TTL_SEC],
        ['j|261203|8:2', METRICS_MID_TTL_SEC],
      ] as const) {
        expect(await redis.client.hgetall(key), key).to.deep.equal(SIDEKIQ_8[key]!.value);
        expect(await redis.client.ttl(key)).to.be.within(ttl - 5, ttl).and.to.be.at.least(SIDEKIQ_8[key]!.ttl);
      }
      for (const key of ['h|Interop::Echo-3-8:24', 'h|Interop::Slow-3-8:24']) {
        expect(await bytes(redis.client, key), key).to.equal(SIDEKIQ_8[key]!.value);
        expect(await redis.client.ttl(key)).to.be.within(METRICS_SHORT_TTL_SEC - 5, METRICS_SHORT_TTL_SEC);
      }
    });

    it('adds to what is there (HINCRBY, BITFIELD INCRBY), saturating a u16 bucket', async () => {
      const first = new ExecutionMetrics();
      first.finished(success('A', 5));
      await writeMetrics(redis.client, first.take(), AT_0824);
      const second = new ExecutionMetrics();
      second.finished(success('A', 6));
      await writeMetrics(redis.client, second.take(), AT_0824);
      expect(await redis.client.hgetall('j|261203|8:24')).to.deep.equal({ 'A|ms': '11', 'A|p': '2' });
      expect(await redis.client.call('BITFIELD_RO', 'h|A-3-8:24', 'GET', 'u16', '#0')).to.deep.equal([2]);
      const big = new ExecutionMetrics();
      for (let i = 0; i < 70_000; i++) big.finished(success('A', 5));
      await writeMetrics(redis.client, big.take(), AT_0824);
      expect(await redis.client.call('BITFIELD_RO', 'A-03-08:24', 'GET', 'u16', '#0')).to.deep.equal([65_535]);
    });

    it('heartbeat: writes the metrics with each beat and the last ones at clear (stop), which 7.3 loses', async () => {
      const clock = new ManualClock(AT_0824);
      const metrics = new ExecutionMetrics();
      const heartbeat = new Heartbeat({
        redis: () => redis.client,
        identity: 'vm:1:7a254f54ce0b',
        queues: { default: 1 },
        clock,
        logger: silent(),
        state: new ProcessState(clock),
        metrics: new MetricsFlusher(metrics, silent()),
      });
      metrics.finished(success('A', 1));
      await heartbeat.beat();
      expect(await redis.client.hget('j|261203|8:24', 'A|p')).to.equal('1');
      metrics.finished(success('A', 1));
      clock.advance(60_000);
      await heartbeat.clear({ unregister: true });
      expect(await redis.client.hget('j|261203|8:25', 'A|p')).to.equal('1');
      expect(await redis.client.hget('j|20261203|8:25', 'A|p')).to.equal('1');
    });

    it('sends nothing when nothing ran', async () => {
      expect(await writeMetrics(redis.client, new ExecutionMetrics().take(), AT_0824)).to.equal(0);
      expect(await redis.client.dbsize()).to.equal(0);
    });

    it('flusher: an outage keeps the totals for the next flush and logs once; a wrong-type key drops them, logged', async () => {
      const logger = silent();
      const metrics = new ExecutionMetrics();
      const flusher = new MetricsFlusher(metrics, logger);
      const down = new Redis('redis://127.0.0.1:1', { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0 });
      down.on('error', () => undefined);
      metrics.finished(success('A', 1));
      await flusher.flush(down, AT_0824);
      metrics.finished(success('A', 1));
      await flusher.flush(down, AT_0824);
      expect(logger.lines.filter((line) => line.includes('metrics_failed'))).to.have.length(1);
      await flusher.flush(redis.client, AT_0824);
      expect(await redis.client.hget('j|261203|8:24', 'A|p')).to.equal('2');
      expect(logger.lines.at(-1)).to.include('metrics_restored');

      await redis.client.set('j|20261203|8:24', 'not a hash');
      metrics.finished(success('A', 1));
      await flusher.flush(redis.client, AT_0824);
      expect(logger.lines.at(-1)).to.include('metrics_failed').and.to.include('WRONGTYPE').and.to.include('unwritten');
      expect(metrics.empty).to.equal(true);
      // the other keys of the transaction took effect
      expect(await redis.client.hget('j|261203|8:24', 'A|p')).to.equal('3');
      down.disconnect();
    });
  });

  describe('a Kiq server (real Redis)', () => {
    const redis = useRedis();
    const Echo = defineWorker({ class: 'Metrics::Echo', perform() {} });
    const Wrapper = defineWorker({ class: 'Metrics::Wrapper', perform() {} });
    const Boom = defineWorker({
      class: 'Metrics::Boom',
      retry: 0,
      perform(): never {
        throw new Error('boom');
      },
    });

    async function run(options: KiqOptions): Promise<void> {
      const kiq = new Kiq({ redisUrl: redis.url, queues: { default: 2 }, workers: [Echo, Boom, Wrapper] as Worker[], fetchInterval: 50, pollInterval: 60_000, logger: silent(), ...options });
      await kiq.start();
      for (let i = 0; i < 3; i++) await kiq.enqueue(Echo, []);
      await kiq.enqueue(Boom, []);
      await kiq.enqueue({ class: 'Metrics::Wrapper', wrapped: 'Metrics::Wrapped', args: [] });
      await until(
        async () => (await redis.client.zcard('dead')) === 1 && (await redis.client.llen('queue:default')) === 0 && (await redis.client.llen(`queue:sq|${kiq.identity}|default`)) === 0,
        10_000,
        'jobs settled',
      );
      await kiq.stop();
    }

    it('writes every job it ran, in both layouts, by the end of stop()', async () => {
      await run({});
      const keys = await redis.client.keys('*|*');
      const hashes = keys.filter((key) => key.startsWith('j|'));
      expect(hashes.map((key) => key.split('|')[1]!.length).sort()).to.deep.equal([6, 6, 8]);
      for (const key of hashes) {
        const hash = await redis.client.hgetall(key);
        expect(hash, key).to.include({ 'Metrics::Echo|p': '3', 'Metrics::Boom|p': '1', 'Metrics::Boom|f': '1' });
        expect(hash).to.have.property('Metrics::Echo|ms');
        expect(hash).not.to.have.property('Metrics::Boom|ms');
        expect(hash).to.include({ 'Metrics::Wrapped|p': '1' });
        expect(hash).not.to.have.property('Metrics::Wrapper|p');
      }
      expect(keys.filter((key) => key.startsWith('h|Metrics::Echo-'))).to.have.length(1);
      expect(await redis.client.keys('Metrics::Echo-*')).to.have.length(1);
    });

    it('writes no metrics key with metrics: false', async () => {
      await run({ metrics: false });
      expect(await redis.client.keys('j|*')).to.deep.equal([]);
      expect(await redis.client.keys('*Metrics::*')).to.deep.equal([]);
    });
  });
});
