/**
 * Per-job cost of the Prometheus metrics (issue 15: within 1 µs of off):
 * the job observers a server combines (src/server/process.ts `serverIO`), with and
 * without `PrometheusMetrics`, fed the same real `JobOutcome` objects
 * (success with a duration, 4 classes, 2 queues). Rounds alternate off/on
 * so load on a shared host hits both; the median round is reported.
 *
 *   node --import tsx test/bench/metrics-cost.bench.ts
 *   {"bench":"metrics-cost","off_ns_per_job":N,"on_ns_per_job":N,"delta_ns_per_job":N}
 */
import { systemClock } from '../../src/clock.js';
import { FetchWatch } from '../../src/health/fetch-watch.js';
import { PrometheusMetrics } from '../../src/health/prometheus.js';
import { combineHooks, type JobHooks, type JobOutcome } from '../../src/job-events.js';
import { ExecutionMetrics } from '../../src/server/metrics/execution-metrics.js';
import { ProcessState } from '../../src/server/process-state.js';

const JOBS = Number(process.env.METRICS_COST_JOBS ?? 500_000);
const ROUNDS = Number(process.env.METRICS_COST_ROUNDS ?? 7);

const outcomes: JobOutcome[] = Array.from({ length: 64 }, (_, i) => {
  const job = { class: `Worker${i % 4}`, queue: i % 2 ? 'default' : 'mailers', args: [i], jid: `jid${i}`, retry: true, created_at: 1, enqueued_at: 1 };
  return { kind: 'success', raw: JSON.stringify(job), queue: job.queue, job, durationMs: (i % 13) * 3.7 } as JobOutcome;
});

function hooks(withPrometheus: boolean): JobHooks {
  const base: JobHooks[] = [new ProcessState(systemClock), new ExecutionMetrics()];
  if (withPrometheus) {
    base.push(new PrometheusMetrics({ busy: () => ({}), buffered: () => 0, leader: () => false, watch: new FetchWatch(systemClock) }));
  }
  return combineHooks(base);
}

function round(observers: JobHooks): number {
  const start = process.hrtime.bigint();
  for (let i = 0; i < JOBS; i++) observers.finished(outcomes[i & 63]!);
  return Number(process.hrtime.bigint() - start) / JOBS;
}

const off = hooks(false);
const on = hooks(true);
round(off);
round(on); // warm-up
const offs: number[] = [];
const ons: number[] = [];
for (let r = 0; r < ROUNDS; r++) {
  offs.push(round(off));
  ons.push(round(on));
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const offNs = median(offs);
const onNs = median(ons);
console.log(JSON.stringify({ bench: 'metrics-cost', off_ns_per_job: Math.round(offNs), on_ns_per_job: Math.round(onNs), delta_ns_per_job: Math.round(onNs - offNs) }));
