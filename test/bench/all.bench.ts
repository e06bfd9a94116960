/**
 * `npm run bench`: every benchmark suite against one Redis, in order
 * enqueue, enqueue_one, process, latency, metrics_cost, memory, scale
 * (BENCH_SUITES=process,latency picks some), each printing its progress and
 * table; the suites' JSON lines come last:
 *
 *   {"bench":"enqueue","kiq":N,"bullmq":N,"bee":N,"sidekiq":N,"raw":N}
 *   {"bench":"enqueue_one","kiq":N,"bullmq":N,"bee":N,"sidekiq":N}
 *   {"bench":"process","kiq":N,"bullmq":N,"bee":N,"sidekiq":N,"kiq_node_us":X,"kiq_redis_us":Y,"kiq_no_metrics":N}
 *   {"bench":"latency","kiq_p50_ms":N,"kiq_p99_ms":N,"bullmq_p50_ms":N,…,"sidekiq_p99_ms":N}
 *   {"bench":"metrics_cost","off_us":X,"on_us":X,"delta_us":X,"target_delta_us":1}
 *   {"bench":"memory","kiq_redis_b":X,"kiq_client_b":X,…}
 *   {"bench":"scale","cases":[{"case":"queues: 1 queue × 100","jobs_s":N,"worker_us":X,…},…]}
 *
 * Peers: BullMQ 6.7.0, bee-queue
 * 2.0.0 (npm) and Sidekiq 6.4 (Ruby + the sidekiq gem, left out with a note
 * when `ruby -e 'require "sidekiq"'` fails). Method, environment variables
 * and noise control: lib/common.ts and the header of each suite. A suite
 * whose verification fails is reported, its JSON line left out, and the exit
 * code is 1. BENCH_BUDGET (180 s) caps waiting for a busy host.
 *
 * BENCH_SCALE (default 1) multiplies every suite's default job count; 1 is
 * sized for about 10 minutes on a quiet 2-core machine (each suite prints
 * its time; quiet-host waits add at most BENCH_BUDGET), 0.05 is a smoke run
 * (about 5 minutes on a loaded host, mostly fixed costs such as Ruby's boot);
 * an explicit BENCH_*_JOBS wins.
 *
 *   npm run bench -- --readme   # also print the README comparison table from this run and
 *                               # write it between the bench-table markers in README.md
 */
import { fileURLToPath } from 'node:url';
import { enqueueOneSuite } from './enqueue-one.bench.js';
import { enqueueSuite } from './enqueue.bench.js';
import { latencySuite } from './latency.bench.js';
import { main, type Suite } from './lib/common.js';
import { memorySuite } from './memory.bench.js';
import { metricsCostSuite } from './metrics-cost.bench.js';
import { readmeTable, writeReadmeTable } from './lib/readme-table.js';
import { processSuite } from './process.bench.js';
import { scaleSuite } from './scale.bench.js';

const ALL: readonly Suite[] = [enqueueSuite, enqueueOneSuite, processSuite, latencySuite, metricsCostSuite, memorySuite, scaleSuite];

function pickSuites(): readonly Suite[] {
  const raw = process.env.BENCH_SUITES;
  if (!raw) return ALL;
  const names = raw.split(',').map((s) => s.trim());
  for (const name of names) {
    if (!ALL.some((suite) => suite.name === name)) throw new Error(`BENCH_SUITES: unknown suite "${name}" (known: ${ALL.map((s) => s.name).join(', ')})`);
  }
  return ALL.filter((suite) => names.includes(suite.name));
}

const README = fileURLToPath(new URL('../../README.md', import.meta.url));

/** `--readme`: the comparison table of this run, printed and written into README.md. */
function refreshReadme(results: readonly Record<string, unknown>[]): void {
  const table = readmeTable(results, new Date().toISOString().slice(0, 10), process.env.BENCH_SCALE || '1');
  console.log(`\n${table}\n`);
  writeReadmeTable(README, table);
  console.log(`bench: README.md comparison table rewritten from this run`);
}

main(pickSuites(), 'bench', process.argv.includes('--readme') ? refreshReadme : undefined);
