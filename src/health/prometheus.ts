/**
 * @internal
 * Kiq's Prometheus metrics, on a registry of its own per instance (several
 * instances in one process do not collide; merge it into an app's registry
 * with `Registry.merge` or serve `/metrics`). Built on `prom-client`, the
 * de-facto Node client (text exposition, escaping, histogram math).
 *
 * Per job, {@link PrometheusMetrics.finished} only adds to a plain
 * in-memory series (one Map lookup, a bucket search over 16 bounds: tens of
 * ns; test/bench/metrics-cost.bench.ts). prom-client's own `inc`/`observe`
 * cost ~2 µs per job with three labels, over the 1 µs budget, so
 * the series are handed to prom-client at scrape time instead: the counter
 * through its `collect` hook, the histogram as a metric object of the shape
 * the registry reads (`get()`/`reset()`). Every gauge is computed at scrape
 * time from memory or from the rate-limited {@link ClusterSampler}. Labels are bounded: `queue` is configured, `class`
 * is capped at {@link MAX_CLASSES} names per queue (later ones count as
 * `other`), and no label ever holds a jid or an argument.
 */
import { Counter, Gauge, Registry, type Metric } from 'prom-client';
import type { JobHooks, JobOutcome } from '../job-events.js';
import { metricsClass } from '../server/metrics/execution-metrics.js';
import type { ClusterSampler } from './cluster-sampler.js';
import type { FetchWatch } from './fetch-watch.js';
import { DURATION_BUCKETS, MAX_CLASSES } from './metric-labels.js';

export { DURATION_BUCKETS, MAX_CLASSES };

/** What the gauges read at scrape time. */
export interface MetricSources {
  /** Queue name → jobs running now (this process). */
  busy(): Readonly<Record<string, number>>;
  /** Jobs in the reliable-push buffer. */
  buffered(): number;
  /** This process leads. */
  leader(): boolean;
  readonly watch: FetchWatch;
  /** Absent for a client (no cluster-wide gauges). */
  readonly sampler?: ClusterSampler;
}

/** Outcomes of `kiq_jobs_total`, in series order. */
const OUTCOMES = ['success', 'retry', 'dead', 'discard', 'aborted'] as const;
type Outcome = (typeof OUTCOMES)[number];
const OUTCOME_INDEX: Readonly<Record<Outcome, number>> = { success: 0, retry: 1, dead: 2, discard: 3, aborted: 4 };

/** One (queue, class) pair's totals since start. */
interface Series {
  readonly labels: { readonly queue: string; readonly class: string };
  /** Count per {@link OUTCOMES} entry. */
  readonly outcomes: number[];
  /** Performed runs per {@link DURATION_BUCKETS} bucket (not cumulative), the last one past the largest bound. */
  readonly buckets: number[];
  sum: number;
  count: number;
}

/** The registry and the per-job series. */
export class PrometheusMetrics implements JobHooks {
  /** Every Kiq metric; `await registry.metrics()` is the text exposition. */
  readonly registry = new Registry();
  /** Queue → class → series (nested, so the hot path builds no key string). */
  readonly #series = new Map<string, Map<string, Series>>();
  readonly #reconnects: Counter;

  constructor(sources: MetricSources) {
    const registers = [this.registry];
    const series = { values: () => allSeries(this.#series) };
    new Counter({
      name: 'kiq_jobs_total',
      help: 'Jobs finished, by queue, class and outcome (success, retry, dead, discard, aborted).',
      labelNames: ['queue', 'class', 'outcome'],
      registers,
      collect() {
        this.reset();
        for (const s of series.values()) {
          for (let i = 0; i < OUTCOMES.length; i++) if (s.outcomes[i]! > 0) this.inc({ ...s.labels, outcome: OUTCOMES[i]! }, s.outcomes[i]!);
        }
      },
    });
    this.registry.registerMetric(durationHistogram(series));
    this.#reconnects = new Counter({ name: 'kiq_redis_reconnects_total', help: 'Redis connections re-established after a drop.', registers });
    new Gauge({
      name: 'kiq_busy',
      help: 'Jobs running now in this process, by queue.',
      labelNames: ['queue'],
      registers,
      collect() {
        for (const [queue, n] of Object.entries(sources.busy())) this.set({ queue }, n);
      },
    });
    new Gauge({ name: 'kiq_buffered_jobs', help: 'Jobs enqueued by this process and not yet written to Redis.', registers, collect() { this.set(sources.buffered()); } });
    new Gauge({ name: 'kiq_leader', help: '1 while this process holds the cluster leadership, else 0.', registers, collect() { this.set(sources.leader() ? 1 : 0); } });
    const queues = (): string[] => Object.keys(sources.busy());
    new Counter({
      name: 'kiq_fetch_errors_total',
      help: 'Failed fetch calls, by queue.',
      labelNames: ['queue'],
      registers,
      collect() {
        this.reset();
        for (const queue of queues()) this.inc({ queue }, sources.watch.get(queue).errors);
      },
    });
    const { sampler } = sources;
    if (sampler === undefined) return;
    const sample = () => sampler.sample();
    new Gauge({
      name: 'kiq_queue_size',
      help: 'Jobs waiting in each queue, cluster-wide (sampled from Redis).',
      labelNames: ['queue'],
      registers,
      async collect() {
        this.reset();
        for (const q of (await sample())?.queues ?? []) this.set({ queue: q.name }, q.size);
      },
    });
    new Gauge({
      name: 'kiq_queue_latency_seconds',
      help: "Age of each queue's oldest waiting job, cluster-wide (sampled from Redis).",
      labelNames: ['queue'],
      registers,
      async collect() {
        this.reset();
        for (const q of (await sample())?.queues ?? []) this.set({ queue: q.name }, q.latency);
      },
    });
    const setGauge = (name: string, help: string, pick: (s: NonNullable<Awaited<ReturnType<typeof sample>>>) => number) =>
      new Gauge({
        name,
        help,
        registers,
        async collect() {
          const s = await sample();
          if (s !== undefined) this.set(pick(s));
        },
      });
    setGauge('kiq_retry_set_size', 'Jobs in the retry set, cluster-wide (sampled from Redis).', (s) => s.retries);
    setGauge('kiq_dead_set_size', 'Jobs in the dead set, cluster-wide (sampled from Redis).', (s) => s.dead);
    setGauge('kiq_scheduled_set_size', 'Jobs in the schedule set, cluster-wide (sampled from Redis).', (s) => s.scheduled);
  }

  /** A Redis connection came back (the pool's `onReconnect`). */
  reconnected(): void {
    this.#reconnects.inc();
  }

  started(): void {}

  finished(outcome: JobOutcome): void {
    if (outcome.kind === 'invalid') return;
    // aborted by the shutdown before it started: requeued, not an outcome
    if (outcome.kind === 'aborted' && outcome.reason === 'shutdown' && outcome.error === undefined) return;
    const series = this.#seriesOf(outcome.queue, metricsClass(outcome.job));
    series.outcomes[OUTCOME_INDEX[outcome.kind]]!++;
    if (outcome.kind === 'aborted' || outcome.durationMs === undefined) return;
    const seconds = outcome.durationMs / 1000;
    let bucket = 0;
    while (bucket < DURATION_BUCKETS.length && seconds > DURATION_BUCKETS[bucket]!) bucket++;
    series.buckets[bucket]!++;
    series.sum += seconds;
    series.count++;
  }

  #seriesOf(queue: string, name: string): Series {
    let classes = this.#series.get(queue);
    if (classes === undefined) {
      classes = new Map();
      this.#series.set(queue, classes);
    }
    const found = classes.get(name);
    if (found !== undefined) return found;
    // a new class on this queue: past MAX_CLASSES they share `other`
    if (classes.size >= MAX_CLASSES && name !== 'other') return this.#seriesOf(queue, 'other');
    const made: Series = { labels: { queue, class: name }, outcomes: new Array<number>(OUTCOMES.length).fill(0), buckets: new Array<number>(DURATION_BUCKETS.length + 1).fill(0), sum: 0, count: 0 };
    classes.set(name, made);
    return made;
  }
}

/** Every series of `byQueue`. */
function* allSeries(byQueue: ReadonlyMap<string, ReadonlyMap<string, Series>>): Generator<Series> {
  for (const classes of byQueue.values()) yield* classes.values();
}

/** One sample line as the registry formats it (prom-client's typings declare `type` an enum; at run time it is this string). */
interface ExposedValue {
  readonly metricName: string;
  readonly labels: Readonly<Record<string, string | number>>;
  readonly value: number;
}

/** What the registry's `get()` of a histogram returns. */
interface ExposedHistogram {
  readonly name: string;
  readonly help: string;
  readonly type: 'histogram';
  readonly aggregator: 'sum';
  readonly values: readonly ExposedValue[];
}

/**
 * `kiq_job_duration_seconds` as a metric object the prom-client registry
 * reads (`name`, `help`, `type`, `get()`, `reset()`, as its Histogram
 * offers them), from the series kept by {@link PrometheusMetrics}.
 */
function durationHistogram(series: { values(): Iterable<Series> }): Metric {
  const name = 'kiq_job_duration_seconds';
  const help = 'Run time of perform, by queue and class.';
  const metric = {
    name,
    help,
    type: 'histogram',
    aggregator: 'sum',
    get(): Promise<ExposedHistogram> {
      const values: ExposedValue[] = [];
      for (const s of series.values()) {
        let cumulative = 0;
        for (let i = 0; i < DURATION_BUCKETS.length; i++) {
          cumulative += s.buckets[i]!;
          values.push({ metricName: `${name}_bucket`, labels: { ...s.labels, le: DURATION_BUCKETS[i]! }, value: cumulative });
        }
        values.push({ metricName: `${name}_bucket`, labels: { ...s.labels, le: '+Inf' }, value: s.count });
        values.push({ metricName: `${name}_sum`, labels: s.labels, value: s.sum });
        values.push({ metricName: `${name}_count`, labels: s.labels, value: s.count });
      }
      return Promise.resolve({ name, help, type: 'histogram', aggregator: 'sum', values });
    },
    // the series are the job history since start: a registry reset does not clear them
    reset(): void {},
  };
  return metric as unknown as Metric;
}
