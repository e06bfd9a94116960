/**
 * `npm run bench`: every benchmark suite against one Redis, in order
 * enqueue, enqueue_one, process, latency, memory, scale (BENCH_SUITES=process,latency
 * picks some), each printing its progress and table; the suites' JSON lines
 * come last:
 *
 *   {"bench":"enqueue","kiq":N,"bullmq":N,"bee":N,"sidekiq":N,"raw":N}
 *   {"bench":"enqueue_one","kiq":N,"bullmq":N,"bee":N,"sidekiq":N}
 *   {"bench":"process","kiq":N,"bullmq":N,"bee":N,"sidekiq":N,"kiq_node_us":X,"kiq_redis_us":Y,"kiq_no_metrics":N}
 *   {"bench":"latency","kiq_p50_ms":N,"kiq_p99_ms":N,"bullmq_p50_ms":N,…,"sidekiq_p99_ms":N}
 *   {"bench":"memory","kiq_redis_b":X,"kiq_client_b":X,…}
 *   {"bench":"scale","cases":[{"case":"queues: 1 queue × 100","jobs_s":N,"worker_us":X,…},…]}
 *
 * Peers: BullMQ 6.7.0, bee-queue
 * 2.0.0 (npm) and Sidekiq 6.4 (Ruby + the sidekiq gem, left out with a note
 * when `ruby -e 'require "sidekiq"'` fails). Method, environment variables
 * and noise control: lib/common.ts and the header of each suite. A suite
 * whose verification fails is reported, its JSON line left out, and the exit
 * code is 1. BENCH_SCALE=0.05 makes a smoke run of every suite; BENCH_BUDGET
 * (180 s) caps waiting for a busy host.
 */
import { enqueueOneSuite } from './enqueue-one.bench.js';
import { enqueueSuite } from './enqueue.bench.js';
import { latencySuite } from './latency.bench.js';
import { main, type Suite } from './lib/common.js';
import { memorySuite } from './memory.bench.js';
import { processSuite } from './process.bench.js';
import { scaleSuite } from './scale.bench.js';

const ALL: readonly Suite[] = [enqueueSuite, enqueueOneSuite, processSuite, latencySuite, memorySuite, scaleSuite];

function pickSuites(): readonly Suite[] {
  const raw = process.env.BENCH_SUITES;
  if (!raw) return ALL;
  const names = raw.split(',').map((s) => s.trim());
  for (const name of names) {
    if (!ALL.some((suite) => suite.name === name)) throw new Error(`BENCH_SUITES: unknown suite "${name}" (known: ${ALL.map((s) => s.name).join(', ')})`);
  }
  return ALL.filter((suite) => names.includes(suite.name));
}

main(pickSuites(), 'bench');
