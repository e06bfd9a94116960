/**
 * kiq/otel metrics on a real Redis (issue 15 item 4): the same counts as the
 * Prometheus metrics of the same instance, outcome by outcome, and the
 * gauges (from kiq.health(), the cluster-wide ones bridged from
 * kiq.prometheus), read through the SDK's metric reader.
 */
import { DataPointType, type HistogramMetricData, type MetricData, type SumMetricData } from '@opentelemetry/sdk-metrics';
import { expect } from 'chai';
import { Kiq, defineWorker, type Worker } from '../../src/index.js';
import { OTEL_METRICS, otelMetrics } from '../../src/otel/index.js';
import { parseExposition } from '../health/prometheus-text.js';
import { silent } from '../support/logger.js';
import { useRedis } from '../support/redis.js';
import { until } from '../support/wait.js';
import { useSdk } from './sdk.js';

describe('kiq/otel metrics', function () {
  this.timeout(30_000);
  const redis = useRedis();
  const fixture = useSdk();

  const Ok = defineWorker({ class: 'OtelOk', async perform() {} });
  const Dies = defineWorker({ class: 'OtelDies', retry: 0, async perform() { throw new Error('dies'); } });
  const Retries = defineWorker({ class: 'OtelRetries', retry: 3, async perform() { throw new Error('again'); } });
  const Dropped = defineWorker({ class: 'OtelDropped', retry: false, async perform() { throw new Error('dropped'); } });

  /** Every metric the SDK holds now, by name. */
  async function collected(): Promise<Map<string, MetricData>> {
    const { scopeMetrics } = await fixture.sdk.collect();
    return new Map(scopeMetrics.filter((s) => s.scope.name === 'kiq').flatMap((s) => s.metrics).map((m) => [m.descriptor.name, m]));
  }

  it('counts jobs by queue, class and outcome and times them, as kiq_jobs_total and kiq_job_duration_seconds do; the gauges as /metrics has them', async () => {
    const kiq = fixture.own(new Kiq({ redisUrl: redis.url, queues: { default: 5 }, workers: [Ok, Dies, Retries, Dropped] as Worker[], fetchInterval: 50, logger: silent(), health: { prometheus: true, sampleMs: 50 } }));
    const handle = otelMetrics(kiq, { meterProvider: fixture.sdk.meterProvider });
    await kiq.start();
    for (let i = 0; i < 4; i++) await kiq.enqueue(Ok, []);
    await kiq.enqueue(Dies, []);
    await kiq.enqueue(Retries, []);
    await kiq.enqueue(Dropped, []);
    // expired before it ran: aborted
    await kiq.enqueue({ class: 'OtelOk', args: [], expires_at: Date.now() / 1000 - 60 });
    const prometheus = async () => parseExposition(await kiq.prometheus!.metrics()).samples;
    await until(async () => (await prometheus()).filter((s) => s.name === 'kiq_jobs_total').reduce((n, s) => n + s.value, 0) === 8, 10_000, 'eight jobs counted');
    await until(async () => {
      const jobs = (await collected()).get(OTEL_METRICS.jobs) as SumMetricData | undefined;
      return jobs?.dataPoints.reduce((n, p) => n + p.value, 0) === 8;
    }, 5_000, 'eight jobs in OTel');

    const metrics = await collected();
    const jobs = metrics.get(OTEL_METRICS.jobs) as SumMetricData;
    const otelCounts = Object.fromEntries(jobs.dataPoints.map((p) => [`${String(p.attributes.queue)}/${String(p.attributes.class)}/${String(p.attributes.outcome)}`, p.value]));
    expect(otelCounts).to.deep.equal({
      'default/OtelOk/success': 4,
      'default/OtelOk/aborted': 1,
      'default/OtelDies/dead': 1,
      'default/OtelRetries/retry': 1,
      'default/OtelDropped/discard': 1,
    });
    const promCounts = Object.fromEntries((await prometheus()).filter((s) => s.name === 'kiq_jobs_total').map((s) => [`${s.labels.queue}/${s.labels.class}/${s.labels.outcome}`, s.value]));
    expect(otelCounts).to.deep.equal(promCounts);

    const duration = metrics.get(OTEL_METRICS.duration) as HistogramMetricData;
    expect(duration.dataPointType).to.equal(DataPointType.HISTOGRAM);
    expect(duration.descriptor.unit).to.equal('s');
    const timed = Object.fromEntries(duration.dataPoints.map((p) => [String(p.attributes.class), p.value.count]));
    // performed runs only, as kiq_job_duration_seconds (the expired job never ran)
    expect(timed).to.deep.equal({ OtelOk: 4, OtelDies: 1, OtelRetries: 1, OtelDropped: 1 });
    expect(duration.dataPoints[0]!.value.buckets.boundaries).to.deep.equal([0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600]);
    for (const p of jobs.dataPoints) expect(Object.keys(p.attributes).sort()).to.deep.equal(['class', 'outcome', 'queue']); // never a jid

    // the gauges, read from kiq.health() at collection
    const gauge = (name: string) => (metrics.get(name) as { dataPoints: { attributes: Record<string, unknown>; value: number }[] } | undefined)?.dataPoints;
    expect(gauge(OTEL_METRICS.busy)!.map((p) => [p.attributes, p.value])).to.deep.equal([[{ queue: 'default' }, 0]]);
    expect(gauge(OTEL_METRICS.buffered)![0]!.value).to.equal(0);
    expect([0, 1]).to.include(gauge(OTEL_METRICS.leader)![0]!.value);
    expect(gauge(OTEL_METRICS.fetchErrors)![0]!.value).to.equal(0);
    // bridged from kiq.prometheus: the cluster-wide gauges (one retry, one dead job) and the reconnects
    await until(async () => {
      const now = await collected();
      const one = (name: string) => (now.get(name) as { dataPoints: { value: number }[] } | undefined)?.dataPoints[0]?.value;
      return one(OTEL_METRICS.retrySetSize) === 1 && one(OTEL_METRICS.deadSetSize) === 1;
    }, 5_000, 'the retry and dead set sizes');
    const bridged = await collected();
    const points = (name: string) => (bridged.get(name) as { dataPoints: { attributes: Record<string, unknown>; value: number }[] }).dataPoints.map((p) => [p.attributes, p.value]);
    expect(points(OTEL_METRICS.queueSize)).to.deep.equal([[{ queue: 'default' }, 0]]);
    expect(points(OTEL_METRICS.queueLatency)).to.deep.equal([[{ queue: 'default' }, 0]]);
    expect(points(OTEL_METRICS.scheduledSetSize)).to.deep.equal([[{}, 0]]);
    expect(points(OTEL_METRICS.reconnects)).to.deep.equal([[{}, 0]]);
    expect(bridged.get(OTEL_METRICS.queueLatency)!.descriptor.unit).to.equal('s');

    handle.close();
    await kiq.enqueue(Ok, []);
    await until(async () => (await prometheus()).filter((s) => s.name === 'kiq_jobs_total').reduce((n, s) => n + s.value, 0) === 9, 10_000, 'the ninth job');
    const after = (await collected()).get(OTEL_METRICS.jobs) as SumMetricData;
    expect(after.dataPoints.reduce((n, p) => n + p.value, 0), 'nothing recorded after close()').to.equal(8);
  });
});
