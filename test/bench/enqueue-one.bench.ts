/**
 * Awaited single enqueues: each call waits until Redis has the job before
 * the next one starts. Kiq `await kiq.enqueue(job, { confirm: true })`,
 * BullMQ `await queue.add()`, bee-queue `await job.save()`, Sidekiq 6.4
 * `Client.push` (synchronous). Same payload, FLUSHDB before each run, median
 * of BENCH_REPS (3) interleaved runs, noise control as in lib/common.ts.
 *
 *   node --import tsx test/bench/enqueue-one.bench.ts   # this suite alone
 *   BENCH_ONE_JOBS=2000 …                               # fewer jobs (default 10,000 × BENCH_SCALE)
 *
 * Final JSON line:
 * {"bench":"enqueue_one","kiq":N,"bullmq":N,"bee":N,"sidekiq":N} (jobs/s,
 * medians, integers; `null` when left out).
 */
import { Queue } from 'bullmq';
import { Kiq } from '../../src/index.js';
import { BEE_LABEL, beeExpect, beeProducer } from './lib/bee.js';
import {
  CLASS,
  PAD,
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
  silentLogger,
  table,
  type BenchEnv,
  type Suite,
  type Window,
} from './lib/common.js';
import { describeEnqueue, timedEnqueue, type EnqueueSample } from './lib/enqueue-sample.js';
import { rubyClient, runnable, sidekiqVersion } from './lib/sidekiq.js';

type System = 'kiq' | 'bullmq' | 'bee' | 'sidekiq';

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

async function expectLength(env: BenchEnv, system: System): Promise<void> {
  const length = await env.admin.llen(QUEUE_KEY);
  if (length !== N) throw new VerificationError(`${system}: expected LLEN ${QUEUE_KEY} = ${N}, got ${length}`);
}

async function runKiq(env: BenchEnv, window: Window): Promise<EnqueueSample> {
  const kiq = new Kiq({ redisUrl: env.target.url, server: false, logger: silentLogger });
  await kiq.start();
  try {
    const sample = await timedEnqueue(env.admin, window, N, async () => {
      for (let i = 0; i < N; i++) {
        const receipt = await kiq.enqueue({ class: CLASS, args: [i, PAD], queue: QUEUE }, { confirm: true });
        if (receipt.status !== 'enqueued') throw new VerificationError(`kiq: job ${i} confirmed as ${receipt.status}`);
      }
    });
    await expectLength(env, 'kiq');
    return sample;
  } finally {
    await kiq.stop();
  }
}

async function runBullmq(env: BenchEnv, window: Window): Promise<EnqueueSample> {
  const queue = new Queue(QUEUE, { connection: env.target.connection });
  try {
    await queue.waitUntilReady();
    const sample = await timedEnqueue(env.admin, window, N, async () => {
      for (let i = 0; i < N; i++) await queue.add(CLASS, { args: [i, PAD] });
    });
    const waiting = await queue.getWaitingCount();
    if (waiting !== N) throw new VerificationError(`bullmq: expected ${N} waiting jobs, got ${waiting}`);
    return sample;
  } finally {
    await queue.close();
  }
}

async function runBee(env: BenchEnv, window: Window): Promise<EnqueueSample> {
  const queue = await beeProducer(env.target);
  try {
    const sample = await timedEnqueue(env.admin, window, N, async () => {
      for (let i = 0; i < N; i++) await queue.createJob({ args: [i, PAD] }).save();
    });
    await beeExpect(queue, N);
    return sample;
  } finally {
    await queue.close();
  }
}

async function runSidekiq(env: BenchEnv, window: Window): Promise<EnqueueSample> {
  const client = await rubyClient(env.target.url, 'push', [N]);
  try {
    const sample = await timedEnqueue(env.admin, window, N, () => client.go(), [client.pid]);
    await expectLength(env, 'sidekiq');
    return sample;
  } finally {
    client.kill();
  }
}

const RUNNERS: Record<System, (env: BenchEnv, window: Window) => Promise<EnqueueSample>> = {
  kiq: runKiq,
  bullmq: runBullmq,
  bee: runBee,
  sidekiq: runSidekiq,
};

function report(samples: Map<System, EnqueueSample[]>, env: BenchEnv, noise: string): Record<System, number | null> {
  const medians = {} as Record<System, number | null>;
  for (const system of SYSTEMS) {
    const runs = samples.get(system);
    medians[system] = runs && runs.length > 0 ? Math.round(median(runs.map((s) => s.rate))) : null;
  }
  const lines: string[] = [''];
  lines.push(`## Enqueue ${fmt(N)} jobs one at a time, each awaited until Redis has it: median of ${REPS} interleaved runs (min–max)`);
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
    console.log(`enqueue_one bench: ${fmt(N)} awaited enqueues x ${REPS} reps of ${systems.join(', ') || '(none)'} against ${env.where}`);
    const { samples, noise } = await interleaved(env, systems, (system, window) => RUNNERS[system](env, window), (_, s) => describeEnqueue(s));
    const values = new Map([...samples].map(([system, kept]) => [system, kept.map((k) => k.value)]));
    const m = report(values, env, noise);
    return { json: { bench: 'enqueue_one', kiq: m.kiq, bullmq: m.bullmq, bee: m.bee, sidekiq: m.sidekiq } };
  },
};

if (isMain(import.meta.url)) main([enqueueOneSuite], 'enqueue_one bench');
