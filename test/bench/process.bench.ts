/**
 * Processing throughput (ANCHORS.md case (c)): 100k no-op jobs enqueued
 * before the worker starts, concurrency 50, one process; Kiq vs BullMQ
 * (`removeOnComplete`/`removeOnFail`, as the anchors), median of BENCH_REPS
 * (3) interleaved runs, FLUSHDB before each.
 *
 *   npm run bench                                    # every suite
 *   node --import tsx test/bench/process.bench.ts    # this suite alone
 *   BENCH_PROCESS_JOBS=20000 …                       # fewer jobs
 *   BENCH_ONLY=kiq BENCH_REPS=1 node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx test/bench/process.bench.ts
 *   node --import tsx test/bench/cpuprofile-top.ts /tmp/prof/*.cpuprofile --window A:B   # A:B as printed
 *
 * Kiq: a client-only Kiq (`server: false`) pushes the N jobs and is
 * flushed and stopped before the timed window. The window runs from the
 * `kiq.start()` call (so it includes connecting the pool and the first
 * heartbeat) to the Nth `perform` call, counted inside the worker (src/ is
 * not instrumented). The "to last ack" column goes on until the private list
 * `queue:sq|<identity>|bench` is empty (polled every ms), i.e. every job's
 * LREM has landed. After `stop()` the run checks exactly N performs, LLEN
 * `queue:bench` = 0 and an empty private list.
 *
 * BullMQ: `addBulk` x1000 before the window; the window runs from
 * `worker.run()` (after `waitUntilReady`) to the Nth `completed` event,
 * which BullMQ emits after the job's moveToFinished script: its two columns
 * are the same number. After `close()` no job may be waiting, active,
 * completed or failed.
 *
 * `kiq-no-metrics` is the same Kiq run with `metrics: false`: the
 * difference to `kiq` is what the execution metrics (Sidekiq 7/8 Metrics
 * tab) cost per job, printed as its own line.
 *
 * CPU columns cover start → last ack: Node CPU of this process, redis-server
 * CPU and command counts (INFO commandstats, Lua-issued commands included).
 *
 * Final JSON line: {"bench":"process","kiq":<jobs/s>,"bullmq":<jobs/s>}
 * (medians to the Nth perform/completion, integers; `null` when left out).
 */
import { performance } from 'node:perf_hooks';
import { Queue, Worker as BullWorker } from 'bullmq';
import { Kiq, defineWorker } from '../../src/index.js';
import {
  CLASS,
  PAD,
  QUEUE,
  QUEUE_KEY,
  REPS,
  VerificationError,
  cell,
  collectGarbage,
  fmt,
  fmt1,
  fmt2,
  interleaved,
  isMain,
  main,
  median,
  pickSystems,
  positiveInt,
  ratioLine,
  redisSnapshot,
  silentLogger,
  sleep,
  table,
  type BenchEnv,
  type Suite,
  type Window,
} from './lib/common.js';

type System = 'kiq' | 'kiq-no-metrics' | 'bullmq';

const SYSTEMS: readonly System[] = ['kiq', 'kiq-no-metrics', 'bullmq'];
const LABEL: Record<System, string> = {
  kiq: 'kiq (queues { bench: 50 })',
  'kiq-no-metrics': 'kiq (same, metrics: false)',
  bullmq: 'BullMQ 6.7.0 (Worker concurrency 50)',
};
const N = positiveInt('BENCH_PROCESS_JOBS', 100_000);
const CONCURRENCY = 50;
const BATCH = 1000;
/** Target: kiq ≥ 1.5× BullMQ. */
const TARGET_VS_BULLMQ = 1.5;
/** A run that has not finished by then is a failure, not a slow result. */
const RUN_TIMEOUT_MS = 180_000;
const BULL_JOB_OPTS = { removeOnComplete: true, removeOnFail: true };

/** One timed run. */
interface Sample {
  /** N / seconds from start to the Nth perform (kiq) or completion (BullMQ). */
  readonly rate: number;
  /** N / seconds from start until every job is acknowledged in Redis. */
  readonly rateAcked: number;
  /** Node CPU of this process, start → last ack, µs per job. */
  readonly nodeCpuUs: number;
  /** redis-server CPU, start → last ack, µs per job. */
  readonly redisCpuUs: number;
  /** Redis commands per job (Lua-issued included). */
  readonly cmds: number;
  /** Script calls per job. */
  readonly lua: number;
}

/** A promise that `hit()` resolves with the time of the Nth call; rejects after RUN_TIMEOUT_MS. */
function countdown(n: number, what: string) {
  let count = 0;
  let resolve!: (at: number) => void;
  let timer: NodeJS.Timeout | undefined;
  const reached = new Promise<number>((res, rej) => {
    resolve = res;
    timer = setTimeout(() => rej(new VerificationError(`${what}: only ${count} of ${n} after ${RUN_TIMEOUT_MS / 1000}s`)), RUN_TIMEOUT_MS);
  });
  return {
    reached,
    get count() {
      return count;
    },
    hit() {
      if (++count === n) {
        resolve(performance.now());
        clearTimeout(timer);
      }
    },
  };
}

function sampleOf(t0: number, tN: number, tAck: number, cpu: NodeJS.CpuUsage, s0: { cpu: number; calls: number; lua: number }, s1: typeof s0): Sample {
  return {
    rate: N / ((tN - t0) / 1000),
    rateAcked: N / ((tAck - t0) / 1000),
    nodeCpuUs: (cpu.user + cpu.system) / N,
    redisCpuUs: ((s1.cpu - s0.cpu) * 1e6) / N,
    // the snapshot's own INFO cpu + INFO commandstats are excluded; its ack polls are not (a handful)
    cmds: (s1.calls - s0.calls) / N,
    lua: (s1.lua - s0.lua) / N,
  };
}

/** Under `node --cpu-prof`, print the timed window in the profile's clock (µs) for cpuprofile-top.ts --window. */
const PROFILING = process.execArgv.some((arg) => arg.startsWith('--cpu-prof'));
function markProfileWindow(system: System, from: number, to: number): void {
  if (!PROFILING) return;
  // V8 profile timestamps and performance.now() share the monotonic clock; performance.now() is relative to timeOrigin
  const origin = Number(process.hrtime.bigint() / 1000n) - performance.now() * 1000;
  console.log(`  cpu-prof window ${system}: --window ${Math.round(origin + from * 1000)}:${Math.round(origin + to * 1000)}`);
}

/** Kiq: pre-enqueue with a client-only instance, then time a server instance from start() to the Nth perform. */
async function runKiq(env: BenchEnv, window: Window, metrics = true): Promise<Sample> {
  const { admin, target } = env;
  const Job = defineWorker<[number, string]>({ class: CLASS, queue: QUEUE, perform() {} });
  const client = new Kiq({ redisUrl: target.url, server: false, bufferLimit: N, logger: silentLogger });
  await client.start();
  for (let i = 0; i < N; i++) void client.enqueue(Job, [i, PAD]);
  await client.flush();
  await client.stop();
  const queued = await admin.llen(QUEUE_KEY);
  if (queued !== N) throw new VerificationError(`kiq: expected LLEN ${QUEUE_KEY} = ${N} before the run, got ${queued}`);

  const performs = countdown(N, 'kiq performs');
  const Counted = defineWorker<[number, string]>({
    class: CLASS,
    queue: QUEUE,
    perform() {
      performs.hit();
    },
  });
  const kiq = new Kiq({
    redisUrl: target.url,
    queues: { [QUEUE]: CONCURRENCY },
    workers: [Counted],
    fetchInterval: 500,
    metrics,
    logger: silentLogger,
  });
  const privateKey = `queue:sq|${kiq.identity}|${QUEUE}`;
  try {
    collectGarbage();
    const s0 = await redisSnapshot(admin);
    window.begin();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await kiq.start();
    const tN = await performs.reached;
    // every LREM landed: the private list is empty (and the queue too)
    const ackDeadline = Date.now() + 30_000;
    while ((await admin.llen(privateKey)) > 0) {
      if (Date.now() > ackDeadline) throw new VerificationError(`kiq: ${privateKey} not empty 30 s after the last perform`);
      await sleep(1);
    }
    const tAck = performance.now();
    const cpu = process.cpuUsage(cpu0);
    window.end();
    markProfileWindow('kiq', t0, tAck);
    const s1 = await redisSnapshot(admin);
    await kiq.stop();
    if (performs.count !== N) throw new VerificationError(`kiq: ${performs.count} performs for ${N} jobs`);
    const left = await admin.llen(QUEUE_KEY);
    const inFlight = await admin.llen(privateKey);
    if (left !== 0 || inFlight !== 0) throw new VerificationError(`kiq: after stop, LLEN ${QUEUE_KEY} = ${left}, LLEN ${privateKey} = ${inFlight}`);
    return sampleOf(t0, tN, tAck, cpu, s0, s1);
  } finally {
    await kiq.stop();
  }
}

/** BullMQ: addBulk before the window, then time worker.run() to the Nth completed event (the anchors' method). */
async function runBullmq(env: BenchEnv, window: Window): Promise<Sample> {
  const { admin, target } = env;
  const connection = target.connection;
  const queue = new Queue(QUEUE, { connection });
  let worker: BullWorker | undefined;
  try {
    await queue.waitUntilReady();
    for (let b = 0; b < N; b += BATCH) {
      const jobs: { name: string; data: { args: [number, string] }; opts: typeof BULL_JOB_OPTS }[] = [];
      const end = Math.min(N, b + BATCH);
      for (let i = b; i < end; i++) jobs.push({ name: CLASS, data: { args: [i, PAD] }, opts: BULL_JOB_OPTS });
      await queue.addBulk(jobs);
    }
    const waiting = await queue.getWaitingCount();
    if (waiting !== N) throw new VerificationError(`bullmq: expected ${N} waiting jobs before the run, got ${waiting}`);

    const completions = countdown(N, 'bullmq completions');
    let failed = 0;
    worker = new BullWorker(QUEUE, async () => undefined, { connection, concurrency: CONCURRENCY, autorun: false });
    worker.on('completed', () => completions.hit());
    worker.on('failed', () => {
      failed++;
      completions.hit();
    });
    await worker.waitUntilReady();
    collectGarbage();
    const s0 = await redisSnapshot(admin);
    window.begin();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const running = worker.run();
    const tN = await completions.reached;
    const cpu = process.cpuUsage(cpu0);
    window.end();
    markProfileWindow('bullmq', t0, tN);
    const s1 = await redisSnapshot(admin);
    await worker.close();
    await running;
    if (failed > 0) throw new VerificationError(`bullmq: ${failed} jobs failed`);
    const counts = await queue.getJobCounts('wait', 'active', 'completed', 'failed');
    if (counts.wait || counts.active || counts.completed || counts.failed) throw new VerificationError(`bullmq: leftover jobs ${JSON.stringify(counts)}`);
    return sampleOf(t0, tN, tN, cpu, s0, s1);
  } finally {
    await worker?.close();
    await queue.close();
  }
}

const RUNNERS: Record<System, (env: BenchEnv, window: Window) => Promise<Sample>> = {
  kiq: runKiq,
  'kiq-no-metrics': (env, window) => runKiq(env, window, false),
  bullmq: runBullmq,
};

function report(samples: Map<System, Sample[]>, env: BenchEnv, noise: string): Record<System, number | null> {
  const medians = {} as Record<System, number | null>;
  for (const system of SYSTEMS) {
    const runs = samples.get(system);
    medians[system] = runs && runs.length > 0 ? Math.round(median(runs.map((s) => s.rate))) : null;
  }
  const lines: string[] = [''];
  lines.push(`## Process ${fmt(N)} pre-enqueued no-op jobs, concurrency ${CONCURRENCY}, one process: median of ${REPS} interleaved runs (min–max)`);
  lines.push('');
  lines.push(`- node ${process.version}, redis ${env.redisVersion} (${env.where}), FLUSHDB before each run`);
  lines.push(`- args [i, "${PAD}"]; kiq timed from kiq.start() to the Nth perform, BullMQ from worker.run() to the Nth completed event`);
  lines.push(`- ${noise}`);
  lines.push('');
  const header = ['system', 'jobs/s to Nth perform/completion', 'jobs/s to last ack', 'node CPU µs/job', 'redis CPU µs/job', 'redis cmds/job', 'Lua calls/job', 'runs (jobs/s)'];
  const rows: string[][] = [];
  for (const system of SYSTEMS) {
    const runs = samples.get(system);
    if (!runs || runs.length === 0) continue;
    rows.push([
      LABEL[system],
      cell(runs.map((s) => s.rate), fmt),
      fmt(median(runs.map((s) => s.rateAcked))),
      fmt1(median(runs.map((s) => s.nodeCpuUs))),
      fmt1(median(runs.map((s) => s.redisCpuUs))),
      fmt2(median(runs.map((s) => s.cmds))),
      fmt2(median(runs.map((s) => s.lua))),
      runs.map((s) => fmt(s.rate)).join(', '),
    ]);
  }
  lines.push(...table(header, rows));
  lines.push('');
  const ratio = medians.kiq !== null && medians.bullmq !== null ? medians.kiq / medians.bullmq : null;
  lines.push(ratioLine('kiq / BullMQ processing', ratio, TARGET_VS_BULLMQ));
  const withMetrics = samples.get('kiq');
  const without = samples.get('kiq-no-metrics');
  if (withMetrics?.length && without?.length) {
    const cpu = median(withMetrics.map((s) => s.nodeCpuUs)) - median(without.map((s) => s.nodeCpuUs));
    const rate = median(withMetrics.map((s) => s.rate)) / median(without.map((s) => s.rate));
    lines.push(`- execution metrics: ${fmt2(cpu)} node CPU µs/job, throughput ×${fmt2(rate)} (kiq vs kiq metrics: false)`);
  }
  lines.push('');
  console.log(lines.join('\n'));
  return medians;
}

export const processSuite: Suite = {
  name: 'process',
  async run(env) {
    const systems = pickSystems(SYSTEMS);
    console.log(`process bench: ${fmt(N)} jobs, concurrency ${CONCURRENCY}, ${REPS} reps of ${systems.join(', ') || '(none)'} against ${env.where}`);
    const { samples, noise } = await interleaved(
      env,
      systems,
      (system, window) => RUNNERS[system](env, window),
      (_, s) =>
        `${fmt(s.rate).padStart(7)} jobs/s (acked ${fmt(s.rateAcked)})  node ${fmt1(s.nodeCpuUs)} µs/job  ` +
        `redis ${fmt1(s.redisCpuUs)} µs/job  ${fmt2(s.cmds)} cmds/job`,
    );
    const values = new Map([...samples].map(([system, kept]) => [system, kept.map((k) => k.value)]));
    const medians = report(values, env, noise);
    return { json: { bench: 'process', kiq: medians.kiq, kiq_no_metrics: medians['kiq-no-metrics'], bullmq: medians.bullmq } };
  },
};

if (isMain(import.meta.url)) main([processSuite], 'process bench');
