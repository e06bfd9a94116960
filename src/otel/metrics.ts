/**
 * OpenTelemetry metrics of one Kiq instance, with the meanings of its
 * Prometheus metrics (README "Health and metrics"). The names are chosen so
 * that the OpenTelemetry Prometheus exporter (unit suffix, `_total` for
 * counters) shows the same names as `/metrics`: `kiq.jobs` →
 * `kiq_jobs_total`, `kiq.job.duration` (s) → `kiq_job_duration_seconds`.
 *
 * Jobs are counted from the instance's `job:*` events (`kiq.on`), which
 * arrive once per tick in batches, never inside a job; the gauges are read
 * from `kiq.health()` when the SDK collects, and, when the instance keeps
 * its Prometheus metrics (`kiq.prometheus`), the cluster-wide gauges and
 * the reconnect counter from that registry (its sampler rate-limits the
 * Redis reads for both).
 */
import { metrics, type Attributes, type BatchObservableResult, type MeterProvider } from '@opentelemetry/api';
import type { Registry } from 'prom-client';
import type { Kiq } from '../kiq.js';
import type { JobAbortedMessage, JobFailureMessage, JobMessageBase, JobStartedMessage, JobSuccessMessage } from '../telemetry.js';
import { metricsClass } from '../server/metrics/execution-metrics.js';
import { ClassLabels, DURATION_BUCKETS } from '../health/metric-labels.js';
import { INSTRUMENTATION_NAME } from './tracing.js';

/** Options of {@link otelMetrics}. */
export interface OtelMetricsOptions {
  /** Where the meter comes from. @defaultValue the global one (`metrics.getMeterProvider()`) */
  meterProvider?: MeterProvider;
}

/** What {@link otelMetrics} returns. */
export interface OtelMetricsHandle {
  /** Stop recording: the listeners and the gauge callback are removed. */
  close(): void;
}

/** The instrument names (OpenTelemetry style) and the Prometheus name each one matches. */
export const OTEL_METRICS = Object.freeze({
  /** Counter `{queue, class, outcome}`, outcome `success`, `retry`, `dead`, `discard`, `aborted` (= `kiq_jobs_total`). */
  jobs: 'kiq.jobs',
  /** Histogram, seconds, `{queue, class}` (= `kiq_job_duration_seconds`). */
  duration: 'kiq.job.duration',
  /** Gauge `{queue}`: jobs running in this process (= `kiq_busy`). */
  busy: 'kiq.busy',
  /** Gauge: jobs enqueued here and not yet in Redis (= `kiq_buffered_jobs`). */
  buffered: 'kiq.buffered_jobs',
  /** Gauge: 1 while this process leads, else 0 (= `kiq_leader`). */
  leader: 'kiq.leader',
  /** Counter `{queue}`: failed fetch calls (= `kiq_fetch_errors_total`). */
  fetchErrors: 'kiq.fetch_errors',
  /** Gauge `{queue}`, cluster-wide: jobs waiting (= `kiq_queue_size`; with `kiq.prometheus`). */
  queueSize: 'kiq.queue.size',
  /** Gauge `{queue}`, seconds, cluster-wide: age of the oldest waiting job (= `kiq_queue_latency_seconds`; with `kiq.prometheus`). */
  queueLatency: 'kiq.queue.latency',
  /** Gauge, cluster-wide: jobs in the retry set (= `kiq_retry_set_size`; with `kiq.prometheus`). */
  retrySetSize: 'kiq.retry_set.size',
  /** Gauge, cluster-wide: jobs in the dead set (= `kiq_dead_set_size`; with `kiq.prometheus`). */
  deadSetSize: 'kiq.dead_set.size',
  /** Gauge, cluster-wide: jobs in the schedule set (= `kiq_scheduled_set_size`; with `kiq.prometheus`). */
  scheduledSetSize: 'kiq.scheduled_set.size',
  /** Counter: Redis connections re-established after a drop (= `kiq_redis_reconnects_total`; with `kiq.prometheus`). */
  reconnects: 'kiq.redis.reconnects',
});

/**
 * Record `kiq`'s job counts, run times, busy slots, buffer depth,
 * leadership and fetch errors as OpenTelemetry instruments. Call it once per
 * instance, before or after `start()`.
 *
 * @example
 * import { otelMetrics } from 'kiq/otel';
 * const kiq = new Kiq({ workers: [Mailer] });
 * const handle = otelMetrics(kiq); // the global MeterProvider
 * await kiq.start();
 * // … on shutdown
 * handle.close();
 */
export function otelMetrics(kiq: Kiq, options: OtelMetricsOptions = {}): OtelMetricsHandle {
  const meter = (options.meterProvider ?? metrics.getMeterProvider()).getMeter(INSTRUMENTATION_NAME);
  const jobs = meter.createCounter(OTEL_METRICS.jobs, { description: 'Jobs finished, by queue, class and outcome (success, retry, dead, discard, aborted).', unit: '{job}' });
  const duration = meter.createHistogram(OTEL_METRICS.duration, {
    description: 'Run time of perform, by queue and class.',
    unit: 's',
    advice: { explicitBucketBoundaries: [...DURATION_BUCKETS] },
  });
  const busy = meter.createObservableGauge(OTEL_METRICS.busy, { description: 'Jobs running now in this process, by queue.', unit: '{job}' });
  const buffered = meter.createObservableGauge(OTEL_METRICS.buffered, { description: 'Jobs enqueued by this process and not yet written to Redis.', unit: '{job}' });
  const leader = meter.createObservableGauge(OTEL_METRICS.leader, { description: '1 while this process holds the cluster leadership, else 0.' });
  const fetchErrors = meter.createObservableCounter(OTEL_METRICS.fetchErrors, { description: 'Failed fetch calls, by queue.', unit: '{call}' });
  // from the Prometheus registry, by its metric names
  const bridged = [
    ['kiq_queue_size', meter.createObservableGauge(OTEL_METRICS.queueSize, { description: 'Jobs waiting in each queue, cluster-wide (sampled from Redis).', unit: '{job}' })],
    ['kiq_queue_latency_seconds', meter.createObservableGauge(OTEL_METRICS.queueLatency, { description: "Age of each queue's oldest waiting job, cluster-wide (sampled from Redis).", unit: 's' })],
    ['kiq_retry_set_size', meter.createObservableGauge(OTEL_METRICS.retrySetSize, { description: 'Jobs in the retry set, cluster-wide (sampled from Redis).', unit: '{job}' })],
    ['kiq_dead_set_size', meter.createObservableGauge(OTEL_METRICS.deadSetSize, { description: 'Jobs in the dead set, cluster-wide (sampled from Redis).', unit: '{job}' })],
    ['kiq_scheduled_set_size', meter.createObservableGauge(OTEL_METRICS.scheduledSetSize, { description: 'Jobs in the schedule set, cluster-wide (sampled from Redis).', unit: '{job}' })],
    ['kiq_redis_reconnects_total', meter.createObservableCounter(OTEL_METRICS.reconnects, { description: 'Redis connections re-established after a drop.', unit: '{reconnect}' })],
  ] as const;

  const classes = new ClassLabels();
  const labels = (m: JobMessageBase): Attributes => ({ queue: m.queue, class: classes.of(m.queue, metricsClass(m.job)) });
  // a job aborted by a stop before it started is requeued, not an outcome (as kiq_jobs_total)
  const running = new Set<string>();
  const onStarted = (m: JobStartedMessage): void => void running.add(m.jid);
  const onSuccess = (m: JobSuccessMessage): void => {
    running.delete(m.jid);
    const at = labels(m);
    jobs.add(1, { ...at, outcome: 'success' });
    duration.record(m.durationMs / 1000, at);
  };
  const onFailure = (m: JobFailureMessage): void => {
    running.delete(m.jid);
    const at = labels(m);
    jobs.add(1, { ...at, outcome: m.outcome });
    if (m.durationMs !== undefined) duration.record(m.durationMs / 1000, at);
  };
  const onAborted = (m: JobAbortedMessage): void => {
    const started = running.delete(m.jid);
    if (m.reason === 'expired' || started) jobs.add(1, { ...labels(m), outcome: 'aborted' });
  };
  kiq.on('job:started', onStarted).on('job:success', onSuccess).on('job:failure', onFailure).on('job:aborted', onAborted);

  const observables = [busy, buffered, leader, fetchErrors, ...bridged.map(([, instrument]) => instrument)];
  const observe = async (result: BatchObservableResult): Promise<void> => {
    const report = await kiq.health();
    for (const [queue, q] of Object.entries(report.queues)) {
      result.observe(busy, q.busy, { queue });
      result.observe(fetchErrors, q.fetchErrors, { queue });
    }
    result.observe(buffered, report.buffer.depth);
    result.observe(leader, report.leader ? 1 : 0);
    const registry: Registry | undefined = kiq.prometheus;
    if (registry === undefined) return;
    for (const [name, instrument] of bridged) {
      const metric = registry.getSingleMetric(name);
      if (metric === undefined) continue; // a client has no cluster-wide gauges
      for (const { value, labels } of (await metric.get()).values) result.observe(instrument, value, labels);
    }
  };
  meter.addBatchObservableCallback(observe, observables);

  return {
    close() {
      kiq.off('job:started', onStarted).off('job:success', onSuccess).off('job:failure', onFailure).off('job:aborted', onAborted);
      meter.removeBatchObservableCallback(observe, observables);
    },
  };
}
