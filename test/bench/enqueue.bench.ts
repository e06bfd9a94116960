/**
 * Enqueue throughput: Kiq's reliable-push buffer vs raw ioredis pipelined
 * LPUSH vs BullMQ addBulk, in one process against one Redis.
 *
 *   npm run bench                        # every suite (see all.bench.ts)
 *   node --import tsx test/bench/enqueue.bench.ts   # this suite alone
 *   BENCH_JOBS=20000 …                   # fewer jobs
 *   REDIS_URL=redis://host:6379/9 …      # use that Redis (its DB is FLUSHed!)
 *   BENCH_ONLY=kiq node --cpu-prof --import tsx test/bench/enqueue.bench.ts   # profile one system
 *
 * Method (after /work/shared/bench/ANCHORS.md): payload args
 * `[i, "bench-payload-abcdefghijklmnopqrstuvwxyz"]`; each case runs
 * BENCH_REPS (3) times, interleaved kiq, raw, bullmq, kiq, …, with FLUSHDB
 * before every run; the median is reported with min–max. Every run is
 * verified (list length / waiting count) and the process exits 1 if one is
 * wrong. Unlike the anchors (a fresh process per run), all runs share this
 * process; interleaving spreads JIT warm-up and host noise over the systems,
 * and a full GC runs before each timed section when it can be reached.
 *
 * Shared-host noise (Linux, as the anchors' run-all.sh; lib/common.ts):
 * before each run it waits (up to BENCH_QUIET_WAIT seconds, 60) until other
 * processes use less than 15% of the machine, measures their CPU during the
 * timed section (all busy jiffies minus this process and our redis-server),
 * and reruns a run that saw more than 10% (up to 3 attempts; the last
 * attempt is kept, flagged; no waits or reruns after BENCH_BUDGET seconds).
 * BENCH_QUIET=0 turns this off.
 *
 * The last line of stdout (run alone) is one JSON object:
 * {"bench":"enqueue","kiq":<jobs/s>,"bullmq":<jobs/s>,"raw":<jobs/s>,"kiq_spool":<jobs/s>,"kiq_always":<jobs/s>}
 * (medians, integers; `null` for a system left out by BENCH_ONLY).
 *
 * `kiq-spool` is kiq with `spool: { dir }` (outage mode: Redis is up, so it
 * must cost nothing); `kiq-always` is `spool: { dir, mode: 'always' }`, every
 * job written and fdatasynced to a segment in os.tmpdir() before it is
 * pushed (target: within 2× of memory-only kiq).
 *
 * Not part of `npm test`: mocha runs test/**\/*.test.ts and ignores test/bench.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { Kiq, type KiqOptions } from '../../src/index.js';
import {
  CLASS,
  PAD,
  QUEUE,
  QUEUE_KEY,
  REPS,
  VerificationError,
  collectGarbage,
  fmt,
  fmt1,
  interleaved,
  isMain,
  main,
  median,
  pickSystems,
  positiveInt,
  ratioLine,
  redisCpuSeconds,
  silentLogger,
  table,
  type BenchEnv,
  type Suite,
  type Target,
  type Window,
} from './lib/common.js';

type System = 'kiq' | 'kiq-spool' | 'kiq-always' | 'raw' | 'bullmq';

const SYSTEMS: readonly System[] = ['kiq', 'kiq-spool', 'kiq-always', 'raw', 'bullmq'];
const LABEL: Record<System, string> = {
  kiq: 'kiq (enqueue x N, then flush())',
  'kiq-spool': 'kiq, spool outage mode (Redis up)',
  'kiq-always': "kiq, spool mode 'always' (fdatasync per group)",
  raw: 'ioredis raw (pipelined LPUSH x1000)',
  bullmq: 'BullMQ 6.7.0 (addBulk x1000)',
};
const BATCH = 1000;
/** Targets: kiq ≥ 3× BullMQ addBulk, ≥ 0.5× raw pipelined LPUSH; a spool in always mode within 2× of memory-only. */
const TARGET_VS_BULLMQ = 3;
const TARGET_VS_RAW = 0.5;
const TARGET_ALWAYS_VS_MEMORY = 0.5;

const N = positiveInt('BENCH_JOBS', 100_000);

/** One timed run. */
interface Sample {
  /** Jobs per second, wall clock from first enqueue to last job acknowledged. */
  readonly rate: number;
  /** Node CPU (user + system) of this process during the run, µs per job. */
  readonly clientCpuUs: number;
  /** redis-server CPU during the run (INFO cpu delta), µs per job. */
  readonly redisCpuUs: number;
}

/**
 * Time `body` (which enqueues N jobs and resolves once Redis has them all),
 * with client and redis CPU alongside.
 */
async function timed(admin: Redis, window: Window, body: () => Promise<void>): Promise<Sample> {
  collectGarbage();
  const redis0 = await redisCpuSeconds(admin);
  window.begin();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await body();
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  window.end();
  const redis1 = await redisCpuSeconds(admin);
  return {
    rate: N / seconds,
    clientCpuUs: (cpu.user + cpu.system) / N,
    redisCpuUs: ((redis1 - redis0) * 1e6) / N,
  };
}

/** (1) Kiq: N un-awaited enqueue() calls, then one flush(); with a spool in a fresh directory when `mode` is given. */
async function runKiq(target: Target, admin: Redis, window: Window, mode?: 'outage' | 'always'): Promise<Sample> {
  const dir = mode ? await mkdtemp(join(tmpdir(), 'kiq-bench-spool-')) : undefined;
  const options: KiqOptions = { redisUrl: target.url, server: false, bufferLimit: N, logger: silentLogger };
  const kiq = new Kiq(dir ? { ...options, spool: { dir, mode } } : options);
  await kiq.start();
  try {
    const sample = await timed(admin, window, async () => {
      for (let i = 0; i < N; i++) {
        // not awaited one by one; a rejection (e.g. BufferFullError) is an unhandled rejection and ends the process
        void kiq.enqueue({ class: CLASS, args: [i, PAD], queue: QUEUE });
      }
      await kiq.flush();
    });
    const length = await admin.llen(QUEUE_KEY);
    if (length !== N) throw new VerificationError(`kiq: expected LLEN ${QUEUE_KEY} = ${N}, got ${length}`);
    // FIFO and shape: the first job enqueued is at the right end, the last at the left
    const oldest = JSON.parse((await admin.lindex(QUEUE_KEY, -1)) ?? 'null') as { class?: unknown; args?: unknown[] } | null;
    const newest = JSON.parse((await admin.lindex(QUEUE_KEY, 0)) ?? 'null') as { args?: unknown[] } | null;
    if (oldest?.class !== CLASS || oldest.args?.[0] !== 0 || newest?.args?.[0] !== N - 1) {
      throw new VerificationError(`kiq: unexpected jobs at the ends of ${QUEUE_KEY}: ${JSON.stringify({ oldest, newest })}`);
    }
    return sample;
  } finally {
    await kiq.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  }
}

/** (2) Raw ioredis: Sidekiq JSON built per job inside the timed loop, one LPUSH per job, exec every 1000. */
async function runRaw(target: Target, admin: Redis, window: Window): Promise<Sample> {
  const redis = new Redis(target.url, { lazyConnect: true });
  await redis.connect();
  try {
    const sample = await timed(admin, window, async () => {
      for (let b = 0; b < N; b += BATCH) {
        const pipeline = redis.pipeline();
        const end = Math.min(N, b + BATCH);
        for (let i = b; i < end; i++) {
          const now = Date.now() / 1000;
          pipeline.lpush(
            QUEUE_KEY,
            JSON.stringify({
              retry: true,
              queue: QUEUE,
              class: CLASS,
              args: [i, PAD],
              jid: randomBytes(12).toString('hex'),
              created_at: now,
              enqueued_at: now,
            }),
          );
        }
        const replies = await pipeline.exec();
        const failed = replies?.find(([error]) => error !== null);
        if (!replies || failed) throw new VerificationError(`raw: pipeline failed: ${String(failed?.[0] ?? 'no replies')}`);
      }
    });
    const length = await admin.llen(QUEUE_KEY);
    if (length !== N) throw new VerificationError(`raw: expected LLEN ${QUEUE_KEY} = ${N}, got ${length}`);
    return sample;
  } finally {
    redis.disconnect();
  }
}

/** (3) BullMQ: addBulk in chunks of 1000. */
async function runBullmq(target: Target, admin: Redis, window: Window): Promise<Sample> {
  const queue = new Queue(QUEUE, { connection: target.connection });
  try {
    await queue.waitUntilReady();
    const sample = await timed(admin, window, async () => {
      for (let b = 0; b < N; b += BATCH) {
        const jobs: { name: string; data: { args: [number, string] } }[] = [];
        const end = Math.min(N, b + BATCH);
        for (let i = b; i < end; i++) jobs.push({ name: CLASS, data: { args: [i, PAD] } });
        await queue.addBulk(jobs);
      }
    });
    const waiting = await queue.getWaitingCount();
    if (waiting !== N) throw new VerificationError(`bullmq: expected ${N} waiting jobs, got ${waiting}`);
    return sample;
  } finally {
    await queue.close();
  }
}

const RUNNERS: Record<System, (target: Target, admin: Redis, window: Window) => Promise<Sample>> = {
  kiq: (target, admin, window) => runKiq(target, admin, window),
  'kiq-spool': (target, admin, window) => runKiq(target, admin, window, 'outage'),
  'kiq-always': (target, admin, window) => runKiq(target, admin, window, 'always'),
  raw: runRaw,
  bullmq: runBullmq,
};

function report(samples: Map<System, Sample[]>, env: BenchEnv, noise: string): Record<System, number | null> {
  const medians = {} as Record<System, number | null>;
  for (const system of SYSTEMS) {
    const runs = samples.get(system);
    medians[system] = runs && runs.length > 0 ? Math.round(median(runs.map((s) => s.rate))) : null;
  }

  const lines: string[] = [];
  lines.push('');
  lines.push(`## Enqueue ${fmt(N)} jobs: median of ${REPS} interleaved runs (min–max)`);
  lines.push('');
  lines.push(`- node ${process.version}, redis ${env.redisVersion} (${env.where}), ${fmt(N)} jobs per run, FLUSHDB before each run`);
  lines.push(`- args [i, "${PAD}"], queue "${QUEUE}"`);
  lines.push(`- ${noise}`);
  lines.push('');
  const header = ['system', 'jobs/s (median)', 'min–max', 'node CPU µs/job', 'redis CPU µs/job', 'runs (jobs/s)'];
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
      rates.map(fmt).join(', '),
    ]);
  }
  lines.push(...table(header, rows));
  lines.push('');
  const ratio = (other: System, of: System = 'kiq') => (medians[of] !== null && medians[other] !== null ? medians[of] / medians[other] : null);
  lines.push(ratioLine('kiq / BullMQ addBulk', ratio('bullmq'), TARGET_VS_BULLMQ));
  lines.push(ratioLine('kiq / raw pipelined LPUSH', ratio('raw'), TARGET_VS_RAW));
  lines.push(ratioLine('kiq spool outage mode / BullMQ addBulk', ratio('bullmq', 'kiq-spool'), TARGET_VS_BULLMQ));
  lines.push(ratioLine("kiq spool 'always' / kiq memory-only", ratio('kiq', 'kiq-always'), TARGET_ALWAYS_VS_MEMORY));
  lines.push('');
  console.log(lines.join('\n'));
  return medians;
}

export const enqueueSuite: Suite = {
  name: 'enqueue',
  async run(env) {
    const systems = pickSystems(SYSTEMS);
    console.log(`enqueue bench: ${fmt(N)} jobs x ${REPS} reps of ${systems.join(', ') || '(none)'} against ${env.where}`);
    const { samples, noise } = await interleaved(
      env,
      systems,
      (system, window) => RUNNERS[system](env.target, env.admin, window),
      (_, s) => `${fmt(s.rate).padStart(9)} jobs/s  node ${fmt1(s.clientCpuUs)} µs/job  redis ${fmt1(s.redisCpuUs)} µs/job`,
    );
    const values = new Map([...samples].map(([system, kept]) => [system, kept.map((k) => k.value)]));
    const medians = report(values, env, noise);
    return {
      json: { bench: 'enqueue', kiq: medians.kiq, bullmq: medians.bullmq, raw: medians.raw, kiq_spool: medians['kiq-spool'], kiq_always: medians['kiq-always'] },
    };
  },
};

if (isMain(import.meta.url)) main([enqueueSuite], 'enqueue bench');
