/**
 * Enqueue → start latency: the worker runs in its own process at
 * concurrency 10 and waits on an empty queue; the producer adds 1,500 jobs
 * one at a time at 200 jobs/s on absolute deadlines (`paced`). Latency = the
 * worker's epoch clock at perform/processor start minus the producer's,
 * read just before the enqueue call and carried in the job. p50/p95/p99/max
 * per run; the table shows the median over BENCH_REPS (3) interleaved runs
 * (min–max).
 *
 *   npm run bench                                    # every suite
 *   node --import tsx test/bench/latency.bench.ts    # this suite alone
 *   BENCH_LATENCY_JOBS=500 …                         # fewer jobs (same rate; or BENCH_SCALE)
 *
 * Kiq: a client-only Kiq here, `t0 = now; await kiq.enqueue(Job, [i, PAD, t0])`.
 * That promise resolves once the job is in the reliable-push buffer, before
 * Redis has it; the flush to Redis happens right after, and is part of the
 * latency, as a user would see it. The worker is a server Kiq with
 * `queues: { bench: 10 }`, default `fetchInterval` (500 ms blocking BLMOVE).
 *
 * BullMQ: `t0 = now; await queue.add('noop', { t0, args }, { removeOnComplete,
 * removeOnFail })`, worker `concurrency: 10`. bee-queue: `await
 * queue.createJob({ t0, args }).save()` on a producer-only queue, worker
 * `process(10)`. The Node clock is `performance.timeOrigin + performance.now()`.
 *
 * Sidekiq 6.4: a real `sidekiq -c 10 -q bench` process (sidekiq/workers.rb,
 * BenchLatencyJob) and a Ruby producer (sidekiq/client.rb latency) calling
 * `Client.push` paced the same way; both read CLOCK_REALTIME, and the job
 * RPUSHes its latency to `bench:lat`, read back at the end.
 *
 * Each run checks that every job ran exactly once and, after the worker
 * stopped, that nothing is left in Redis (kiq: queue and private list;
 * BullMQ/bee-queue: no job waiting, active or failed; Sidekiq:
 * stat:processed = N). The noise window covers the paced section and
 * counts the worker (and Ruby producer) processes' CPU as ours. Redis CPU
 * and commands per job cover the paced section (idle fetch polling
 * included; Sidekiq's count includes its job's RPUSH of the sample, not the
 * bench's LLEN polls).
 *
 * Final JSON line (medians over runs, ms, 3 decimals; `null` when left out):
 * {"bench":"latency","kiq_p50_ms":…,"kiq_p99_ms":…,"bullmq_p50_ms":…,"bullmq_p99_ms":…,
 *  "bee_p50_ms":…,"bee_p99_ms":…,"sidekiq_p50_ms":…,"sidekiq_p99_ms":…}
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { Queue } from 'bullmq';
import { Kiq, defineWorker } from '../../src/index.js';
import {
  PAD,
  QUEUE,
  QUEUE_KEY,
  REPS,
  VerificationError,
  cell,
  fmt1,
  fmt2,
  interleaved,
  isMain,
  main,
  median,
  nowMs,
  percentile,
  pickSystems,
  redisSnapshot,
  jobCount,
  round3,
  silentLogger,
  sleep,
  table,
  type BenchEnv,
  type RedisSnapshot,
  type Suite,
  type Window,
} from './lib/common.js';
import type { WorkerConfig, WorkerMessage } from './latency-worker.js';
import { BEE_LABEL, beeExpect, beeProducer } from './lib/bee.js';
import { rubyClient, runnable, sidekiqVersion, spawnSidekiq } from './lib/sidekiq.js';

type System = 'kiq' | 'bullmq' | 'bee' | 'sidekiq';
/** The systems whose worker is latency-worker.ts. */
type NodeSystem = Exclude<System, 'sidekiq'>;

const SYSTEMS: readonly System[] = ['kiq', 'bullmq', 'bee', 'sidekiq'];
const LABEL: Record<System, string> = {
  kiq: 'kiq (await enqueue; worker queues { bench: 10 })',
  bullmq: 'BullMQ 6.7.0 (await add; Worker concurrency 10)',
  bee: `${BEE_LABEL} (await save; process(10))`,
  sidekiq: `${sidekiqVersion ?? 'Sidekiq'} (Client.push; sidekiq -c 10)`,
};
const N = jobCount('BENCH_LATENCY_JOBS', 1_500);
/** Where BenchLatencyJob (sidekiq/workers.rb) records its latencies. */
const SIDEKIQ_SAMPLES_KEY = 'bench:lat';
const RATE = 200;
const CONCURRENCY = 10;
const KIQ_CLASS = 'BenchLatencyJob';
const BULL_JOB_OPTS = { removeOnComplete: true, removeOnFail: true };
const WORKER_SCRIPT = fileURLToPath(new URL('./latency-worker.ts', import.meta.url));
/** Startup and the last jobs get this long on top of the paced section. */
const GRACE_MS = 30_000;

/** One run's latency distribution, ms. */
interface Sample {
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
  readonly min: number;
  /** redis-server CPU over the paced section, µs per job (idle polling included). */
  readonly redisCpuUs: number;
  /** Redis commands per job over the paced section (Lua-issued included). */
  readonly cmds: number;
}

/**
 * Calls `fn(i)` at `rate` per second, scheduled on absolute deadlines so slow
 * calls do not make the run drift.
 */
async function paced(count: number, rate: number, fn: (i: number) => Promise<unknown>): Promise<void> {
  const interval = 1000 / rate;
  const start = performance.now();
  for (let i = 0; i < count; i++) {
    const due = start + i * interval;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    await fn(i);
  }
}

/** A forked worker and a way to wait for its messages. */
interface Child {
  readonly process: ChildProcess;
  next<T extends WorkerMessage['type']>(type: T, timeoutMs: number): Promise<Extract<WorkerMessage, { type: T }>>;
  /** Send 'stop', wait for 'stopped' and the exit. */
  stop(): Promise<number>;
  /** Kill it if it still runs (error paths). */
  kill(): void;
}

function forkWorker(system: NodeSystem, config: WorkerConfig): Child {
  // explicit execArgv: the worker must not inherit --cpu-prof and friends
  const child = fork(WORKER_SCRIPT, [system, JSON.stringify(config)], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const inbox: WorkerMessage[] = [];
  let wake: (() => void) | undefined;
  let exitCode: number | null | undefined;
  const exited = new Promise<void>((resolve) =>
    child.once('exit', (code) => {
      exitCode = code;
      wake?.();
      resolve();
    }),
  );
  child.on('message', (message: WorkerMessage) => {
    inbox.push(message);
    wake?.();
  });
  const next = async <T extends WorkerMessage['type']>(type: T, timeoutMs: number) => {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const index = inbox.findIndex((m) => m.type === type);
      if (index >= 0) return inbox.splice(index, 1)[0] as Extract<WorkerMessage, { type: T }>;
      if (exitCode !== undefined) throw new VerificationError(`${system} worker exited (code ${exitCode}) before sending "${type}"`);
      const left = deadline - performance.now();
      if (left <= 0) throw new VerificationError(`${system} worker: no "${type}" within ${timeoutMs / 1000}s`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = undefined;
    }
  };
  return {
    process: child,
    next,
    async stop() {
      child.send('stop');
      const { performs } = await next('stopped', GRACE_MS);
      await exited;
      return performs;
    },
    kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}

function distribution(latencies: readonly number[], s0: RedisSnapshot, s1: RedisSnapshot): Sample {
  const sorted = Float64Array.from(latencies).sort();
  return {
    redisCpuUs: ((s1.cpu - s0.cpu) * 1e6) / latencies.length,
    cmds: (s1.calls - s0.calls) / latencies.length,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1]!,
    min: sorted[0]!,
  };
}

/** Fork the worker, wait until it waits, then produce paced; returns the worker's samples. */
async function measure(
  system: NodeSystem,
  env: BenchEnv,
  window: Window,
  produce: (i: number) => Promise<unknown>,
  verify: (ready: Extract<WorkerMessage, { type: 'ready' }>) => Promise<void>,
): Promise<Sample> {
  const child = forkWorker(system, { target: env.target, n: N, concurrency: CONCURRENCY, kiqClass: KIQ_CLASS });
  try {
    const ready = await child.next('ready', GRACE_MS);
    await sleep(500); // let the worker reach its blocking wait
    const s0 = await redisSnapshot(env.admin);
    window.begin(child.process.pid === undefined ? [] : [child.process.pid]);
    await paced(N, RATE, produce);
    const { latencies, distinct } = await child.next('samples', GRACE_MS);
    window.end();
    const s1 = await redisSnapshot(env.admin);
    const performs = await child.stop();
    if (latencies.length !== N || distinct !== N || performs !== N) {
      throw new VerificationError(`${system}: ${performs} performs of ${distinct} distinct jobs for ${N} enqueued (${latencies.length} samples)`);
    }
    if (!latencies.every(Number.isFinite)) throw new VerificationError(`${system}: a latency sample is not a number`);
    await verify(ready);
    return distribution(latencies, s0, s1);
  } finally {
    child.kill();
  }
}

async function runKiq(env: BenchEnv, window: Window): Promise<Sample> {
  // the producer's view of the worker: class and queue (perform runs in the child)
  const Job = defineWorker<[number, string, number]>({
    class: KIQ_CLASS,
    queue: QUEUE,
    perform() {
      throw new Error('performed in the worker process');
    },
  });
  const producer = new Kiq({ redisUrl: env.target.url, server: false, logger: silentLogger });
  await producer.start();
  try {
    return await measure(
      'kiq',
      env,
      window,
      (i) => {
        const t0 = nowMs();
        return producer.enqueue(Job, [i, PAD, t0]);
      },
      async (ready) => {
        await producer.flush();
        const privateKey = `queue:sq|${ready.identity ?? '?'}|${QUEUE}`;
        const left = await env.admin.llen(QUEUE_KEY);
        const inFlight = await env.admin.llen(privateKey);
        if (left !== 0 || inFlight !== 0) throw new VerificationError(`kiq: after stop, LLEN ${QUEUE_KEY} = ${left}, LLEN ${privateKey} = ${inFlight}`);
      },
    );
  } finally {
    await producer.stop();
  }
}

async function runBullmq(env: BenchEnv, window: Window): Promise<Sample> {
  const queue = new Queue(QUEUE, { connection: env.target.connection });
  try {
    await queue.waitUntilReady();
    return await measure(
      'bullmq',
      env,
      window,
      (i) => {
        const t0 = nowMs();
        return queue.add('noop', { t0, args: [i, PAD] }, BULL_JOB_OPTS);
      },
      async () => {
        const counts = await queue.getJobCounts('wait', 'active', 'completed', 'failed');
        if (counts.wait || counts.active || counts.completed || counts.failed) throw new VerificationError(`bullmq: leftover jobs ${JSON.stringify(counts)}`);
      },
    );
  } finally {
    await queue.close();
  }
}

async function runBee(env: BenchEnv, window: Window): Promise<Sample> {
  const queue = await beeProducer(env.target);
  try {
    return await measure(
      'bee',
      env,
      window,
      (i) => queue.createJob({ t0: nowMs(), args: [i, PAD] }).save(),
      () => beeExpect(queue, 0),
    );
  } finally {
    await queue.close();
  }
}

/** Wait until `check` holds, polling every `everyMs`; false at the deadline. */
async function until(check: () => Promise<boolean>, timeoutMs: number, everyMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (performance.now() > deadline) return false;
    await sleep(everyMs);
  }
}

async function runSidekiq(env: BenchEnv, window: Window): Promise<Sample> {
  const { admin } = env;
  const server = spawnSidekiq(env.target.url, CONCURRENCY, [QUEUE]);
  let producer: Awaited<ReturnType<typeof rubyClient>> | undefined;
  try {
    // its first heartbeat adds it to `processes`; then give it time to sit in BRPOP
    if (!(await until(async () => (await admin.scard('processes')) > 0, GRACE_MS, 50))) throw new VerificationError('sidekiq: no heartbeat within 30 s');
    producer = await rubyClient(env.target.url, 'latency', [N, RATE]);
    await sleep(500);
    const s0 = await redisSnapshot(admin);
    window.begin([server.pid, producer.pid]);
    await producer.go();
    let polls = 0;
    const complete = await until(
      async () => {
        polls++;
        return (await admin.llen(SIDEKIQ_SAMPLES_KEY)) >= N;
      },
      GRACE_MS,
      10,
    );
    window.end();
    const s1 = await redisSnapshot(admin);
    const latencies = (await admin.lrange(SIDEKIQ_SAMPLES_KEY, 0, -1)).map(Number);
    await server.stop();
    if (!complete || latencies.length !== N) throw new VerificationError(`sidekiq: ${latencies.length} latency samples for ${N} jobs`);
    if (!latencies.every(Number.isFinite)) throw new VerificationError('sidekiq: a latency sample is not a number');
    const processed = Number(await admin.get('stat:processed'));
    const left = await admin.llen(QUEUE_KEY);
    if (processed !== N || left !== 0) throw new VerificationError(`sidekiq: stat:processed = ${processed}, LLEN ${QUEUE_KEY} = ${left} for ${N} jobs`);
    // the bench's own LLEN polls are not Sidekiq's; the job's RPUSH of its sample is (1 per job) and stays in
    return distribution(latencies, s0, { ...s1, calls: s1.calls - polls });
  } finally {
    producer?.kill();
    server.kill();
  }
}

const RUNNERS: Record<System, (env: BenchEnv, window: Window) => Promise<Sample>> = {
  kiq: runKiq,
  bullmq: runBullmq,
  bee: runBee,
  sidekiq: runSidekiq,
};

type Medians = Record<System, { p50: number; p99: number } | null>;

function report(samples: Map<System, Sample[]>, env: BenchEnv, noise: string): Medians {
  const medians = {} as Medians;
  for (const system of SYSTEMS) {
    const runs = samples.get(system);
    medians[system] = runs && runs.length > 0 ? { p50: median(runs.map((s) => s.p50)), p99: median(runs.map((s) => s.p99)) } : null;
  }
  const lines: string[] = [''];
  lines.push(`## Latency enqueue → perform start, ${N.toLocaleString('en-US')} jobs at ${RATE}/s, worker process at concurrency ${CONCURRENCY}: median of ${REPS} interleaved runs (min–max), ms`);
  lines.push('');
  lines.push(`- node ${process.version}, redis ${env.redisVersion} (${env.where}), FLUSHDB before each run`);
  lines.push('- t0 = performance.timeOrigin + performance.now() just before enqueue()/add()/save() in this process; start = the same clock at perform/processor start in the worker process (Sidekiq: CLOCK_REALTIME in the Ruby producer and in perform)');
  lines.push(`- ${noise}`);
  lines.push('');
  const header = ['system', 'p50', 'p95', 'p99', 'max', 'min', 'redis CPU µs/job', 'redis cmds/job'];
  const rows: string[][] = [];
  for (const system of SYSTEMS) {
    const runs = samples.get(system);
    if (!runs || runs.length === 0) continue;
    rows.push([
      LABEL[system],
      cell(runs.map((s) => s.p50), fmt2),
      cell(runs.map((s) => s.p95), fmt2),
      cell(runs.map((s) => s.p99), fmt2),
      cell(runs.map((s) => s.max), fmt2),
      fmt2(Math.min(...runs.map((s) => s.min))),
      fmt1(median(runs.map((s) => s.redisCpuUs))),
      fmt2(median(runs.map((s) => s.cmds))),
    ]);
  }
  lines.push(...table(header, rows));
  lines.push('');
  const { kiq, bullmq, bee, sidekiq } = medians;
  const versus = (what: 'p50' | 'p99', name: string, peer: { p50: number; p99: number } | null, target: boolean) => {
    if (!kiq || !peer) return `- kiq ${what} vs ${name} ${what}: n/a (not measured in this run)`;
    const verdict = target ? `target kiq ≤ ${name}: ${kiq[what] <= peer[what] ? 'MET' : 'MISSED'}` : 'no target';
    return `- ${what}: kiq ${fmt2(kiq[what])} ms vs ${name} ${fmt2(peer[what])} ms (${name} / kiq = ${(peer[what] / kiq[what]).toFixed(2)}×; ${verdict})`;
  };
  lines.push(versus('p50', 'bee-queue', bee, true));
  lines.push(versus('p50', 'Sidekiq', sidekiq, true));
  lines.push(versus('p50', 'BullMQ', bullmq, true));
  lines.push(versus('p99', 'BullMQ', bullmq, true));
  lines.push(versus('p99', 'bee-queue', bee, false));
  lines.push(versus('p99', 'Sidekiq', sidekiq, false));
  lines.push('');
  console.log(lines.join('\n'));
  return medians;
}

export const latencySuite: Suite = {
  name: 'latency',
  async run(env) {
    const systems = runnable(pickSystems(SYSTEMS));
    console.log(`latency bench: ${N} jobs at ${RATE}/s, worker process c=${CONCURRENCY}, ${REPS} reps of ${systems.join(', ') || '(none)'} against ${env.where}`);
    const { samples, noise } = await interleaved(
      env,
      systems,
      (system, window) => RUNNERS[system](env, window),
      (_, s) => `p50 ${fmt2(s.p50)}  p95 ${fmt2(s.p95)}  p99 ${fmt2(s.p99)}  max ${fmt2(s.max)} ms  redis ${fmt1(s.redisCpuUs)} µs/job  ${fmt2(s.cmds)} cmds/job`,
    );
    const values = new Map([...samples].map(([system, kept]) => [system, kept.map((k) => k.value)]));
    const m = report(values, env, noise);
    const json: Record<string, unknown> = { bench: 'latency' };
    for (const system of SYSTEMS) {
      json[`${system}_p50_ms`] = m[system] ? round3(m[system].p50) : null;
      json[`${system}_p99_ms`] = m[system] ? round3(m[system].p99) : null;
    }
    return { json };
  },
};

if (isMain(import.meta.url)) main([latencySuite], 'latency bench');
