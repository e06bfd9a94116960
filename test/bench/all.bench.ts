/**
 * `npm run bench`: every benchmark suite against one Redis, in order
 * enqueue, process, latency (BENCH_SUITES=process,latency picks some), each
 * printing its progress and table; the suites' JSON lines come last:
 *
 *   {"bench":"enqueue","kiq":N,"bullmq":N,"raw":N}
 *   {"bench":"process","kiq":N,"bullmq":N}
 *   {"bench":"latency","kiq_p50_ms":N,"kiq_p99_ms":N,"bullmq_p50_ms":N,"bullmq_p99_ms":N}
 *
 * Method, environment variables and noise control: lib/common.ts and the
 * header of each suite. A suite whose verification fails is reported, its
 * JSON line left out, and the exit code is 1. Takes about 2–3 minutes on a
 * quiet 2-core host; BENCH_BUDGET (180 s) caps waiting for a busy one.
 */
import { enqueueOneSuite } from './enqueue-one.bench.js';
import { enqueueSuite } from './enqueue.bench.js';
import { latencySuite } from './latency.bench.js';
import { main, type Suite } from './lib/common.js';
import { processSuite } from './process.bench.js';

const ALL: readonly Suite[] = [enqueueSuite, enqueueOneSuite, processSuite, latencySuite];

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
