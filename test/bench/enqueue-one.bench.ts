/**
 * Awaited single enqueues: each call waits until Redis has the job before
 * the next one starts. Kiq `await kiq.enqueue(job, { confirm: true })`,
 * BullMQ `await queue.add()`, bee-queue `await job.save()`, Sidekiq 6.4
 * `Client.push` (synchronous). Same payload, FLUSHDB before each run, median
 * of BENCH_REPS (3) interleaved runs, noise control as in lib/common.ts.
 *
 * Every client runs in a process of its own, booted fresh for each run:
 * kiq, BullMQ and bee-queue in enqueue-one-client.ts, Sidekiq in
 * sidekiq/client.rb. In one shared process the systems ran on each other's
 * JIT state (BullMQ and Kiq share ioredis's code) and whoever went first in
 * a rep ran cold. Each run first makes BENCH_ONE_WARMUP (10,000 ×
 * BENCH_SCALE) untimed enqueues of the same kind, so what is timed is a
 * client past its JIT warm-up, as in a service that has been enqueueing for
 * a while; the queue then holds the warm-up jobs and the timed ones. The
 * client's own wall clock and CPU (timed section only) are the sample.
 *
 *   node --import tsx test/bench/enqueue-one.bench.ts   # this suite alone
 *   BENCH_ONE_JOBS=2000 …                               # fewer jobs (default 10,000 × BENCH_SCALE)
 *   BENCH_ONE_WARMUP=2000 …                             # shorter warm-up (default 10,000 × BENCH_SCALE)
 *
 * Final JSON line:
 * {"bench":"enqueue_one","kiq":N,"bullmq":N,"bee":N,"sidekiq":N} (jobs/s,
 * medians, integers; `null` when left out).
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Queue } from 'bullmq';
import type { ClientConfig, ClientMessage } from './enqueue-one-client.js';
import { BEE_LABEL, beeExpect, beeProducer } from './lib/bee.js';
import {
  QUEUE,
  QUEUE_KEY,
  REPS,
  VerificationError,
  fmt,
  fmt1,
  infoRatioLine,
  interleaved,
  isMain,
  jobCount,
  main,
  median,
  pickSystems,
  ratioLine,
  table,
  type BenchEnv,
  type Suite,
  type Window,
} from './lib/common.js';
import { describeEnqueue, timedEnqueue, type EnqueueSample } from './lib/enqueue-sample.js';
import { rubyClient, runnable, sidekiqVersion, type RubyClient } from './lib/sidekiq.js';

type System = 'kiq' | 'bullmq' | 'bee' | 'sidekiq';
/** The systems whose client is enqueue-one-client.ts. */
type NodeSystem = Exclude<System, 'sidekiq'>;

const SYSTEMS: readonly System[] = ['kiq', 'bullmq', 'bee', 'sidekiq'];
const LABEL: Record<System, string> = {
  kiq: 'kiq (await enqueue(…, { confirm: true }))',
  bullmq: 'BullMQ 6.7.0 (await add())',
  bee: `${BEE_LABEL} (await save())`,
  sidekiq: `${sidekiqVersion ?? 'Sidekiq'} (Client.push)`,
};
/** Target: kiq ≥ bee-queue save(). */
const TARGET_VS_BEE = 1;
const N = jobCount('BENCH_ONE_JOBS', 10_000);
/** Untimed enqueues before the timed ones, in every run. */
const WARMUP = jobCount('BENCH_ONE_WARMUP', 10_000);
const CLIENT_SCRIPT = fileURLToPath(new URL('./enqueue-one-client.ts', import.meta.url));
/** Boot with the warm-up, and the timed section, each get this long. */
const CLIENT_TIMEOUT_MS = 120_000;

async function expectLength(env: BenchEnv, system: System): Promise<void> {
  const length = await env.admin.llen(QUEUE_KEY);
  if (length !== WARMUP + N) throw new VerificationError(`${system}: expected LLEN ${QUEUE_KEY} = ${WARMUP + N}, got ${length}`);
}

/** A booted client, warmed up and waiting for `go`: client.rb, or a forked Node client speaking the same protocol. */
type Client = RubyClient;

/** Fork enqueue-one-client.ts for `system`; resolves once it has made its warm-up enqueues. */
async function forkClient(env: BenchEnv, system: NodeSystem): Promise<Client> {
  const config: ClientConfig = { target: env.target, n: N, warmup: WARMUP };
  // explicit execArgv: the client must not inherit --cpu-prof and friends
  const child = fork(CLIENT_SCRIPT, [system, JSON.stringify(config)], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const next = (type: ClientMessage['type']) =>
    new Promise<ClientMessage>((resolve, reject) => {
      const timer = setTimeout(() => reject(new VerificationError(`${system} client: no "${type}" within ${CLIENT_TIMEOUT_MS / 1000}s`)), CLIENT_TIMEOUT_MS);
      child.once('message', (message: ClientMessage) => {
        clearTimeout(timer);
        if (message.type === type) resolve(message);
        else reject(new VerificationError(`${system} client: expected "${type}", got "${message.type}"`));
      });
      void exited.then((code) => {
        clearTimeout(timer);
        reject(new VerificationError(`${system} client exited (code ${code}) before sending "${type}"`));
      });
    });
  const kill = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  try {
    await next('ready');
  } catch (error) {
    kill();
    throw error;
  }
  return {
    pid: child.pid!,
    async go() {
      const timing = next('timing');
      child.send('go');
      const { seconds, cpu } = (await timing) as Extract<ClientMessage, { type: 'timing' }>;
      const code = await exited;
      if (code !== 0) throw new VerificationError(`${system} client: exit code ${code}`);
      return { seconds, cpu };
    },
    kill,
  };
}

/** Boot `system`'s client (warm-up included), time its enqueues, check Redis with `check`. */
async function runClient(env: BenchEnv, window: Window, system: System, check: () => Promise<void>): Promise<EnqueueSample> {
  const client = system === 'sidekiq' ? await rubyClient(env.target.url, 'push', [N, WARMUP]) : await forkClient(env, system);
  try {
    const sample = await timedEnqueue(env.admin, window, N, () => client.go(), [client.pid]);
    await check();
    return sample;
  } finally {
    client.kill();
  }
}

async function bullmqWaiting(env: BenchEnv): Promise<void> {
  const queue = new Queue(QUEUE, { connection: env.target.connection });
  try {
    const waiting = await queue.getWaitingCount();
    if (waiting !== WARMUP + N) throw new VerificationError(`bullmq: expected ${WARMUP + N} waiting jobs, got ${waiting}`);
  } finally {
    await queue.close();
  }
}

async function beeWaiting(env: BenchEnv): Promise<void> {
  const queue = await beeProducer(env.target);
  try {
    await beeExpect(queue, WARMUP + N);
  } finally {
    await queue.close();
  }
}

const RUNNERS: Record<System, (env: BenchEnv, window: Window) => Promise<EnqueueSample>> = {
  kiq: (env, window) => runClient(env, window, 'kiq', () => expectLength(env, 'kiq')),
  bullmq: (env, window) => runClient(env, window, 'bullmq', () => bullmqWaiting(env)),
  bee: (env, window) => runClient(env, window, 'bee', () => beeWaiting(env)),
  sidekiq: (env, window) => runClient(env, window, 'sidekiq', () => expectLength(env, 'sidekiq')),
};

function report(samples: Map<System, EnqueueSample[]>, env: BenchEnv, noise: string): Record<System, number | null> {
  const medians = {} as Record<System, number | null>;
  for (const system of SYSTEMS) {
    const runs = samples.get(system);
    medians[system] = runs && runs.length > 0 ? Math.round(median(runs.map((s) => s.rate))) : null;
  }
  const lines: string[] = [''];
  lines.push(`## Enqueue ${fmt(N)} jobs one at a time, each awaited until Redis has it, after ${fmt(WARMUP)} untimed ones: median of ${REPS} interleaved runs (min–max)`);
  lines.push('');
  lines.push(`- node ${process.version}, redis ${env.redisVersion} (${env.where}), FLUSHDB before each run`);
  lines.push(`- ${noise}`);
  lines.push('');
  const header = ['system', 'jobs/s (median)', 'min–max', 'client CPU µs/job', 'redis CPU µs/job', 'redis cmds/job'];
  const rows: string[][] = [];
  for (const system of SYSTEMS) {
    const runs = samples.get(system);
    if (!runs || runs.length === 0) continue;
    const rates = runs.map((s) => s.rate);
    rows.push([
      LABEL[system],
      fmt(median(rates)),
      `${fmt(Math.min(...rates))}–${fmt(Math.max(...rates))}`,
      fmt1(median(runs.map((s) => s.clientCpuUs))),
      fmt1(median(runs.map((s) => s.redisCpuUs))),
      median(runs.map((s) => s.cmds)).toFixed(2),
    ]);
  }
  lines.push(...table(header, rows));
  lines.push('');
  const ratio = (other: System) => (medians.kiq !== null && medians[other] !== null ? medians.kiq / medians[other] : null);
  lines.push(ratioLine('kiq / bee-queue save()', ratio('bee'), TARGET_VS_BEE));
  lines.push(infoRatioLine('kiq / BullMQ add()', ratio('bullmq')));
  lines.push(infoRatioLine('kiq / Sidekiq Client.push', ratio('sidekiq')));
  lines.push('');
  console.log(lines.join('\n'));
  return medians;
}

export const enqueueOneSuite: Suite = {
  name: 'enqueue_one',
  async run(env) {
    const systems = runnable(pickSystems(SYSTEMS));
    console.log(`enqueue_one bench: ${fmt(WARMUP)} untimed + ${fmt(N)} timed awaited enqueues x ${REPS} reps of ${systems.join(', ') || '(none)'} against ${env.where}`);
    const { samples, noise } = await interleaved(env, systems, (system, window) => RUNNERS[system](env, window), (_, s) => describeEnqueue(s));
    const values = new Map([...samples].map(([system, kept]) => [system, kept.map((k) => k.value)]));
    const m = report(values, env, noise);
    return { json: { bench: 'enqueue_one', kiq: m.kiq, bullmq: m.bullmq, bee: m.bee, sidekiq: m.sidekiq } };
  },
};

if (isMain(import.meta.url)) main([enqueueOneSuite], 'enqueue_one bench');
