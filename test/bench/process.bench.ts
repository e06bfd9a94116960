/**
 * Processing throughput: N no-op jobs enqueued before the worker starts, one
 * worker process, concurrency 50 and 10 (BENCH_CONCURRENCY="50,10");
 * Kiq vs BullMQ vs bee-queue vs Sidekiq 6.4, median of BENCH_REPS (3)
 * interleaved runs, FLUSHDB before each.
 *
 *   npm run bench                                    # every suite
 *   node --import tsx test/bench/process.bench.ts    # this suite alone
 *   BENCH_PROCESS_JOBS=20000 …                       # other job counts (default 40,000 × BENCH_SCALE)
 *   npm run bench:budget                             # kiq's per-job µs budget from --cpu-prof (budget.ts)
 *   BENCH_ONLY=kiq BENCH_REPS=1 BENCH_CONCURRENCY=50 node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx test/bench/process.bench.ts
 *   node --import tsx test/bench/cpuprofile-top.ts /tmp/prof/CPU.*.0.*.cpuprofile --window A:B --per-job N   # main thread; A:B N as printed
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
 * BullMQ (`removeOnComplete`/`removeOnFail`): `addBulk` x1000 before the
 * window; the window runs from `worker.run()` to the Nth `completed` event,
 * which BullMQ emits after its moveToFinished script. bee-queue
 * (`removeOnSuccess`/`removeOnFailure`, no events): `saveAll` x1000 before,
 * window from `queue.process()` to the Nth `succeeded` event, emitted after
 * its finishing MULTI. After the run neither may have a job left.
 *
 * Sidekiq: the jobs are pushed in Sidekiq's own wire format (by a Kiq
 * client) for class BenchJob (sidekiq/workers.rb), then a real `sidekiq -c C
 * -q bench` process is spawned. Its rate is the steady state: LLEN
 * `queue:bench` is polled every 5 ms and the window runs from the first drop
 * below N to the first empty reading (N − that first reading jobs), so its
 * ~1 s Ruby boot is left out; the window ends at the last fetch, not the last
 * completion (a no-op job finishes microseconds later). After TERM the run
 * checks `stat:processed` = N and `stat:failed` = 0. Its "Node CPU" column
 * is the sidekiq process's own CPU (/proc utime+stime, 10 ms resolution),
 * and the LLEN polls are taken out of its command count.
 *
 * `kiq-no-metrics` is the same Kiq run with `metrics: false`: the
 * difference to `kiq` is what the execution metrics (Sidekiq 7/8 Metrics
 * tab) cost per job, printed as its own line.
 *
 * CPU columns cover the window (Kiq: start → last ack): CPU of the worker
 * process, redis-server CPU and command counts (INFO commandstats,
 * Lua-issued commands included).
 *
 * Final JSON line (medians at concurrency 50, to the Nth perform/completion):
 * {"bench":"process","kiq":N,"bullmq":N,"bee":N,"sidekiq":N,"kiq_node_us":X,"kiq_redis_us":Y,"kiq_no_metrics":N}
 * (jobs/s integers, µs per job 2 decimals; `null` when left out).
 */
import { performance } from 'node:perf_hooks';
import { Queue, Worker as BullWorker } from 'bullmq';
import { Kiq, defineWorker } from '../../src/index.js';
import { BEE_LABEL, beeConsumer, beeExpect, beeProducer, beeSaveAll } from './lib/bee.js';
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
  jobCount,
  main,
  median,
  pickSystems,
  ratioLine,
  redisSnapshot,
  silentLogger,
  sleep,
  table,
  type BenchEnv,
  type RedisSnapshot,
  type Suite,
  type Window,
} from './lib/common.js';
import { pidCpuSeconds, runnable, sidekiqVersion, spawnSidekiq } from './lib/sidekiq.js';

type System = 'kiq' | 'kiq-no-metrics' | 'bullmq' | 'bee' | 'sidekiq';

const SYSTEMS: readonly System[] = ['kiq', 'kiq-no-metrics', 'bullmq', 'bee', 'sidekiq'];
const LABEL: Record<System, (c: number) => string> = {
  kiq: (c) => `kiq (queues { bench: ${c} })`,
  'kiq-no-metrics': () => 'kiq (same, metrics: false)',
  bullmq: (c) => `BullMQ 6.7.0 (Worker concurrency ${c})`,
  bee: (c) => `${BEE_LABEL} (process(${c}))`,
  sidekiq: (c) => `${sidekiqVersion ?? 'Sidekiq'} (sidekiq -c ${c})`,
};
// 40,000 × BENCH_SCALE: the whole `npm run bench` stays near 10 minutes on a 2-core host
const N = jobCount('BENCH_PROCESS_JOBS', 40_000);
const CONCURRENCIES: readonly number[] = (process.env.BENCH_CONCURRENCY ?? '50,10').split(',').map((raw) => {
  const c = Number(raw.trim());
  if (!Number.isInteger(c) || c < 1) throw new Error(`BENCH_CONCURRENCY: expected positive integers, got ${JSON.stringify(raw)}`);
  return c;
});
const BATCH = 1000;
/** Target: kiq ≥ 3× every peer, per process. */
const TARGET_VS_PEER = 3;
/** A run that has not finished by then is a failure, not a slow result. */
const RUN_TIMEOUT_MS = 180_000;
const BULL_JOB_OPTS = { removeOnComplete: true, removeOnFail: true };

/** One timed run. */
export interface ProcessSample {
  /** Jobs / seconds from start to the Nth perform (kiq), completion (BullMQ, bee) or empty queue (Sidekiq). */
  readonly rate: number;
  /** Same, until every job is acknowledged in Redis. */
  readonly rateAcked: number;
  /** CPU of the worker process over the window, µs per job. */
  readonly nodeCpuUs: number;
  /** redis-server CPU over the window, µs per job. */
  readonly redisCpuUs: number;
  /** Redis commands per job (Lua-issued included). */
  readonly cmds: number;
  /** Script calls per job. */
  readonly lua: number;
}

/** A promise that `hit()` resolves with the time of the Nth call; rejects after RUN_TIMEOUT_MS. */
export function countdown(n: number, what: string) {
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

function sampleOf(n: number, t0: number, tN: number, tAck: number, cpuUs: number, s0: RedisSnapshot, s1: RedisSnapshot, ownCalls = 0): ProcessSample {
  return {
    rate: n / ((tN - t0) / 1000),
    rateAcked: n / ((tAck - t0) / 1000),
    nodeCpuUs: cpuUs / n,
    redisCpuUs: ((s1.cpu - s0.cpu) * 1e6) / n,
    // the snapshot's own INFO calls are excluded; `ownCalls` are the bench's own polls where it counts them
    cmds: (s1.calls - s0.calls - ownCalls) / n,
    lua: (s1.lua - s0.lua) / n,
  };
}

/** Under `node --cpu-prof`, print the timed window in the profile's clock (µs) for cpuprofile-top.ts --window. */
const PROFILING = process.execArgv.some((arg) => arg.startsWith('--cpu-prof'));
function markProfileWindow(system: System, from: number, to: number): void {
  if (!PROFILING) return;
  // V8 profile timestamps and performance.now() share the monotonic clock; performance.now() is relative to timeOrigin
  const origin = Number(process.hrtime.bigint() / 1000n) - performance.now() * 1000;
  console.log(`  cpu-prof window ${system}: --window ${Math.round(origin + from * 1000)}:${Math.round(origin + to * 1000)} --per-job ${N}`);
}

/** Push N BenchJob jobs in Sidekiq's wire format with a client-only Kiq (used for kiq and Sidekiq runs). */
async function preEnqueue(env: BenchEnv, system: System): Promise<void> {
  const client = new Kiq({ redisUrl: env.target.url, server: false, bufferLimit: N, logger: silentLogger });
  await client.start();
  for (let i = 0; i < N; i++) void client.enqueue({ class: CLASS, queue: QUEUE, args: [i, PAD] });
  await client.flush();
  await client.stop();
  const queued = await env.admin.llen(QUEUE_KEY);
  if (queued !== N) throw new VerificationError(`${system}: expected LLEN ${QUEUE_KEY} = ${N} before the run, got ${queued}`);
}

/** Kiq: pre-enqueue with a client-only instance, then time a server instance from start() to the Nth perform. */
async function runKiq(env: BenchEnv, window: Window, concurrency: number, metrics = true): Promise<ProcessSample> {
  const { admin, target } = env;
  await preEnqueue(env, 'kiq');
  const performs = countdown(N, 'kiq performs');
  const Counted = defineWorker<[number, string]>({
    class: CLASS,
    queue: QUEUE,
    perform() {
      performs.hit();
    },
  });
  const kiq = new Kiq({ redisUrl: target.url, queues: { [QUEUE]: concurrency }, workers: [Counted], fetchInterval: 500, metrics, logger: silentLogger });
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
    markProfileWindow(metrics ? 'kiq' : 'kiq-no-metrics', t0, tAck);
    const s1 = await redisSnapshot(admin);
    await kiq.stop();
    if (performs.count !== N) throw new VerificationError(`kiq: ${performs.count} performs for ${N} jobs`);
    const left = await admin.llen(QUEUE_KEY);
    const inFlight = await admin.llen(privateKey);
    if (left !== 0 || inFlight !== 0) throw new VerificationError(`kiq: after stop, LLEN ${QUEUE_KEY} = ${left}, LLEN ${privateKey} = ${inFlight}`);
    return sampleOf(N, t0, tN, tAck, cpu.user + cpu.system, s0, s1);
  } finally {
    await kiq.stop();
  }
}

/** BullMQ: addBulk before the window, then time worker.run() to the Nth completed event. */
async function runBullmq(env: BenchEnv, window: Window, concurrency: number): Promise<ProcessSample> {
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
    worker = new BullWorker(QUEUE, async () => undefined, { connection, concurrency, autorun: false });
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
    return sampleOf(N, t0, tN, tN, cpu.user + cpu.system, s0, s1);
  } finally {
    await worker?.close();
    await queue.close();
  }
}

/** bee-queue: saveAll before the window, then time process() to the Nth succeeded event. */
async function runBee(env: BenchEnv, window: Window, concurrency: number): Promise<ProcessSample> {
  const producer = await beeProducer(env.target);
  try {
    await beeSaveAll(producer, N, BATCH);
    await beeExpect(producer, N);
  } finally {
    await producer.close();
  }
  const queue = await beeConsumer(env.target);
  try {
    const completions = countdown(N, 'bee-queue successes');
    let failed = 0;
    queue.on('succeeded', () => completions.hit());
    queue.on('failed', () => {
      failed++;
      completions.hit();
    });
    collectGarbage();
    const s0 = await redisSnapshot(env.admin);
    window.begin();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    queue.process(concurrency, async () => undefined);
    const tN = await completions.reached;
    const cpu = process.cpuUsage(cpu0);
    window.end();
    markProfileWindow('bee', t0, tN);
    const s1 = await redisSnapshot(env.admin);
    if (failed > 0) throw new VerificationError(`bee-queue: ${failed} jobs failed`);
    await beeExpect(queue, 0);
    return sampleOf(N, t0, tN, tN, cpu.user + cpu.system, s0, s1);
  } finally {
    await queue.close();
  }
}

/** Sidekiq: jobs pushed first, then a real sidekiq process; steady-state rate from LLEN polls every 5 ms. */
async function runSidekiq(env: BenchEnv, window: Window, concurrency: number): Promise<ProcessSample> {
  const { admin } = env;
  await preEnqueue(env, 'sidekiq');
  const t00 = performance.now();
  const server = spawnSidekiq(env.target.url, concurrency, [QUEUE]);
  try {
    let first: { t: number; len: number; s: RedisSnapshot; cpu: number } | undefined;
    let polls = 0;
    for (;;) {
      const len = await admin.llen(QUEUE_KEY);
      const t = performance.now();
      if (first) polls++;
      if (!first && len < N) {
        const cpu = pidCpuSeconds(server.pid);
        first = { t, len, s: await redisSnapshot(admin), cpu };
        window.begin([server.pid]);
      }
      if (len === 0 && first) {
        const cpu = pidCpuSeconds(server.pid);
        window.end();
        const s1 = await redisSnapshot(admin);
        // LLEN hits 0 at the last fetch: let the in-flight no-op jobs finish so TERM requeues none
        await sleep(500);
        await server.stop();
        const processed = Number(await admin.get('stat:processed'));
        const failed = Number((await admin.get('stat:failed')) ?? 0);
        if (processed !== N || failed !== 0) throw new VerificationError(`sidekiq: stat:processed = ${processed}, stat:failed = ${failed} for ${N} jobs`);
        const jobs = first.len;
        return sampleOf(jobs, first.t, t, t, (cpu - first.cpu) * 1e6, first.s, s1, polls);
      }
      if (t - t00 > RUN_TIMEOUT_MS) throw new VerificationError(`sidekiq: ${len} jobs left after ${RUN_TIMEOUT_MS / 1000}s`);
      await sleep(5);
    }
  } finally {
    server.kill();
  }
}

const RUNNERS: Record<System, (env: BenchEnv, window: Window, concurrency: number) => Promise<ProcessSample>> = {
  kiq: runKiq,
  'kiq-no-metrics': (env, window, concurrency) => runKiq(env, window, concurrency, false),
  bullmq: runBullmq,
  bee: runBee,
  sidekiq: runSidekiq,
};

type Medians = Record<System, ProcessSample | null>;

/** Per system, the median of each column over its runs. */
function mediansOf(samples: Map<System, ProcessSample[]>): Medians {
  const out = {} as Medians;
  for (const system of SYSTEMS) {
    const runs = samples.get(system);
    out[system] =
      runs && runs.length > 0
        ? {
            rate: median(runs.map((s) => s.rate)),
            rateAcked: median(runs.map((s) => s.rateAcked)),
            nodeCpuUs: median(runs.map((s) => s.nodeCpuUs)),
            redisCpuUs: median(runs.map((s) => s.redisCpuUs)),
            cmds: median(runs.map((s) => s.cmds)),
            lua: median(runs.map((s) => s.lua)),
          }
        : null;
  }
  return out;
}

function report(samples: Map<System, ProcessSample[]>, env: BenchEnv, noise: string, concurrency: number): Medians {
  const medians = mediansOf(samples);
  const lines: string[] = [''];
  lines.push(`## Process ${fmt(N)} pre-enqueued no-op jobs, concurrency ${concurrency}, one process: median of ${REPS} interleaved runs (min–max)`);
  lines.push('');
  lines.push(`- node ${process.version}, redis ${env.redisVersion} (${env.where}), FLUSHDB before each run`);
  lines.push(`- args [i, "${PAD}"]; kiq timed from kiq.start() to the Nth perform, BullMQ/bee-queue from run()/process() to the Nth completion event, Sidekiq from the first fetch to the empty queue (boot excluded)`);
  lines.push('- worker CPU: this Node process, or the sidekiq process (/proc)');
  lines.push(`- ${noise}`);
  lines.push('');
  const header = ['system', 'jobs/s to Nth perform/completion', 'jobs/s to last ack', 'worker CPU µs/job', 'redis CPU µs/job', 'redis cmds/job', 'Lua calls/job', 'runs (jobs/s)'];
  const rows: string[][] = [];
  for (const system of SYSTEMS) {
    const runs = samples.get(system);
    if (!runs || runs.length === 0) continue;
    rows.push([
      LABEL[system](concurrency),
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
  const ratio = (other: System) => (medians.kiq && medians[other] ? medians.kiq.rate / medians[other].rate : null);
  lines.push(ratioLine(`kiq / BullMQ processing at c=${concurrency}`, ratio('bullmq'), TARGET_VS_PEER));
  lines.push(ratioLine(`kiq / bee-queue processing at c=${concurrency}`, ratio('bee'), TARGET_VS_PEER));
  lines.push(ratioLine(`kiq / Sidekiq processing per process at c=${concurrency}`, ratio('sidekiq'), TARGET_VS_PEER));
  const without = medians['kiq-no-metrics'];
  if (medians.kiq && without) {
    lines.push(
      `- execution metrics: ${fmt2(medians.kiq.nodeCpuUs - without.nodeCpuUs)} node CPU µs/job, throughput ×${fmt2(medians.kiq.rate / without.rate)} (kiq vs kiq metrics: false)`,
    );
  }
  if (medians.kiq) lines.push(`- kiq Node CPU per job: ${fmt1(medians.kiq.nodeCpuUs)} µs (target ≤ 12 µs): ${medians.kiq.nodeCpuUs <= 12 ? 'MET' : 'MISSED'}`);
  lines.push('');
  console.log(lines.join('\n'));
  return medians;
}

const round2 = (n: number) => Math.round(n * 100) / 100;

export const processSuite: Suite = {
  name: 'process',
  async run(env) {
    const systems = runnable(pickSystems(SYSTEMS));
    let json: Record<string, unknown> | undefined;
    for (const concurrency of CONCURRENCIES) {
      console.log(`process bench: ${fmt(N)} jobs, concurrency ${concurrency}, ${REPS} reps of ${systems.join(', ') || '(none)'} against ${env.where}`);
      const { samples, noise } = await interleaved(
        env,
        systems,
        (system, window) => RUNNERS[system](env, window, concurrency),
        (_, s) =>
          `${fmt(s.rate).padStart(7)} jobs/s (acked ${fmt(s.rateAcked)})  worker ${fmt1(s.nodeCpuUs)} µs/job  ` +
          `redis ${fmt1(s.redisCpuUs)} µs/job  ${fmt2(s.cmds)} cmds/job`,
      );
      const values = new Map([...samples].map(([system, kept]) => [system, kept.map((k) => k.value)]));
      const m = report(values, env, noise, concurrency);
      // the JSON line is the c=50 case (or the first one asked for)
      if (json === undefined || concurrency === 50) {
        const rate = (s: System) => (m[s] ? Math.round(m[s].rate) : null);
        json = {
          bench: 'process',
          kiq: rate('kiq'),
          bullmq: rate('bullmq'),
          bee: rate('bee'),
          sidekiq: rate('sidekiq'),
          kiq_node_us: m.kiq ? round2(m.kiq.nodeCpuUs) : null,
          kiq_redis_us: m.kiq ? round2(m.kiq.redisCpuUs) : null,
          kiq_no_metrics: rate('kiq-no-metrics'),
        };
      }
    }
    return { json: json ?? { bench: 'process' } };
  },
};

if (isMain(import.meta.url)) main([processSuite], 'process bench');
