/**
 * Per-job cost of the Prometheus metrics (issue 15: within 1 µs of off):
 * the job observers a server combines (src/server/process.ts `serverIO`: the
 * heartbeat's process state and the execution metrics), with and without
 * `PrometheusMetrics`, fed the same real `JobOutcome` objects (success with
 * a duration, 4 classes, 2 queues). CPU-bound and in-process, so it is
 * robust on a shared host: rounds alternate off/on so load hits both, and
 * the median round is reported. (The process suite's `kiq_no_metrics` is the
 * end-to-end view of the execution metrics, with its wall-clock noise.)
 *
 *   npm run bench                                         # part of every suite run
 *   node --import tsx test/bench/metrics-cost.bench.ts    # this suite alone
 *   METRICS_COST_JOBS=500000 METRICS_COST_ROUNDS=7 …      # defaults (jobs × BENCH_SCALE)
 *
 * Final JSON line (µs per job, 3 decimals):
 * {"bench":"metrics_cost","off_us":X,"on_us":Y,"delta_us":Z,"target_delta_us":1}
 */
import { systemClock } from '../../src/clock.js';
import { FetchWatch } from '../../src/health/fetch-watch.js';
import { PrometheusMetrics } from '../../src/health/prometheus.js';
import { combineHooks, type JobHooks, type JobOutcome } from '../../src/job-events.js';
import { ExecutionMetrics } from '../../src/server/metrics/execution-metrics.js';
import { ProcessState } from '../../src/server/process-state.js';
import { isMain, jobCount, main, median, positiveInt, type Suite } from './lib/common.js';

const JOBS = jobCount('METRICS_COST_JOBS', 500_000, 10_000);
const ROUNDS = positiveInt('METRICS_COST_ROUNDS', 7);
/** Issue 15: metrics on may cost at most this much more per job than off. */
const TARGET_DELTA_US = 1;

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

/** ns per job of one round through `observers`. */
function round(observers: JobHooks): number {
  const start = process.hrtime.bigint();
  for (let i = 0; i < JOBS; i++) observers.finished(outcomes[i & 63]!);
  return Number(process.hrtime.bigint() - start) / JOBS;
}

export const metricsCostSuite: Suite = {
  name: 'metrics_cost',
  async run() {
    console.log(`metrics_cost bench: ${JOBS.toLocaleString('en-US')} job outcomes x ${ROUNDS} rounds, job observers without and with the Prometheus metrics`);
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
    const offUs = median(offs) / 1000;
    const onUs = median(ons) / 1000;
    const delta = onUs - offUs;
    console.log(`\n## Metrics cost per job (median of ${ROUNDS} alternating rounds)\n`);
    console.log(`- metrics off ${offUs.toFixed(3)} µs/job, on ${onUs.toFixed(3)} µs/job: +${delta.toFixed(3)} µs (target ≤ ${TARGET_DELTA_US} µs): ${delta <= TARGET_DELTA_US ? 'MET' : 'MISSED'}\n`);
    const us = (x: number) => Math.round(x * 1000) / 1000;
    return { json: { bench: 'metrics_cost', off_us: us(offUs), on_us: us(onUs), delta_us: us(delta), target_delta_us: TARGET_DELTA_US } };
  },
};

if (isMain(import.meta.url)) main([metricsCostSuite], 'metrics_cost bench');
