/**
 * Memory per job, Kiq vs the peers (issue 14 item 5):
 *
 * - Redis: bytes per queued job = INFO `used_memory` after enqueueing N jobs
 *   (batches of 1000 where the API batches) minus before, over N, on a
 *   FLUSHed DB: Kiq (enqueue + flush), raw LPUSH of the same Sidekiq JSON,
 *   BullMQ addBulk (with and without removeOnComplete/removeOnFail, which
 *   BullMQ stores per job), bee-queue saveAll, Sidekiq 6.4 push_bulk.
 *   For the list-based systems, MEMORY USAGE of `queue:bench` (all samples)
 *   over N is shown beside it.
 * - Client: bytes held in the enqueueing Node process per job that was
 *   handed to the library but is not in Redis yet: N enqueue()/add()/save()
 *   calls made in one synchronous loop (so none has been written), then a
 *   full GC, `heapUsed + external` minus the same before the loop, over N.
 *   Kiq holds its reliable-push buffer; BullMQ and bee-queue hold their
 *   pending commands and job objects. Sidekiq's Client.push is synchronous
 *   (no client-side buffer): n/a. Needs a reachable GC (collectGarbage in
 *   lib/common.ts); without it the client column is n/a.
 *
 *   BENCH_SUITES=memory npm run bench
 *   node --import tsx test/bench/memory.bench.ts   # alone; BENCH_MEMORY_JOBS (100,000 × BENCH_SCALE)
 *
 * Median of BENCH_REPS (3) interleaved runs. Final JSON line:
 * {"bench":"memory","kiq_redis_b":X,"kiq_client_b":X,"bullmq_redis_b":X,…} (bytes per job, 1 decimal).
 */
import { randomBytes } from 'node:crypto';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { Kiq } from '../../src/index.js';
import { BEE_LABEL, beeProducer, beeSaveAll } from './lib/bee.js';
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
  jobCount,
  main,
  median,
  parseInfo,
  pickSystems,
  silentLogger,
  sleep,
  table,
  type BenchEnv,
  type Suite,
} from './lib/common.js';
import { rubyClient, runnable, sidekiqVersion } from './lib/sidekiq.js';

type System = 'kiq' | 'raw' | 'bullmq' | 'bee' | 'sidekiq';
/** BullMQ is measured twice: its per-job opts are stored with the job. */
type Row = System | 'bullmq_noopts';

const SYSTEMS: readonly System[] = ['kiq', 'raw', 'bullmq', 'bee', 'sidekiq'];
const ROWS: readonly Row[] = ['kiq', 'raw', 'bullmq', 'bullmq_noopts', 'bee', 'sidekiq'];
const LABEL: Record<Row, string> = {
  kiq: 'kiq (enqueue, flush)',
  raw: 'ioredis raw (LPUSH of the same Sidekiq JSON)',
  bullmq: 'BullMQ 6.7.0 (addBulk, removeOnComplete/removeOnFail)',
  bullmq_noopts: 'BullMQ 6.7.0 (addBulk, no job opts)',
  bee: `${BEE_LABEL} (saveAll)`,
  sidekiq: `${sidekiqVersion ?? 'Sidekiq'} (push_bulk)`,
};
const N = jobCount('BENCH_MEMORY_JOBS', 100_000, 1000);
const BATCH = 1000;
const BULL_JOB_OPTS = { removeOnComplete: true, removeOnFail: true };
/** Whether a full GC can be forced (else client bytes are meaningless). */
const CAN_GC = (() => {
  const before = process.memoryUsage().heapUsed;
  collectGarbage();
  return process.memoryUsage().heapUsed !== before;
})();

/** One row's figures, bytes per job. */
interface Figures {
  readonly redis: number;
  /** MEMORY USAGE queue:bench / N (list-based systems). */
  readonly list?: number;
  /** Client bytes per buffered job. */
  readonly client?: number;
}

async function usedMemory(admin: Redis): Promise<number> {
  return Number(parseInfo(await admin.info('memory')).used_memory);
}

/** Heap + external bytes after a full GC. */
function heldBytes(): number {
  collectGarbage();
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
}

/** Redis bytes per job of `fill` (which must leave N jobs queued), from a settled, FLUSHed DB. */
async function redisBytes(admin: Redis, fill: () => Promise<void>, listBased: boolean): Promise<Pick<Figures, 'redis' | 'list'>> {
  await admin.flushdb();
  await sleep(200); // let lazy frees and the allocator's stats settle
  const m0 = await usedMemory(admin);
  await fill();
  const m1 = await usedMemory(admin);
  const list = listBased ? Number(await admin.call('MEMORY', 'USAGE', QUEUE_KEY, 'SAMPLES', '0')) / N : undefined;
  return { redis: (m1 - m0) / N, ...(list === undefined ? {} : { list }) };
}

async function expectLength(admin: Redis, system: string): Promise<void> {
  const length = await admin.llen(QUEUE_KEY);
  if (length !== N) throw new VerificationError(`${system}: expected LLEN ${QUEUE_KEY} = ${N}, got ${length}`);
}

async function runKiq(env: BenchEnv): Promise<Figures[]> {
  const kiq = new Kiq({ redisUrl: env.target.url, server: false, bufferLimit: N, logger: silentLogger });
  await kiq.start();
  try {
    let client = Number.NaN;
    const figures = await redisBytes(
      env.admin,
      async () => {
        const h0 = heldBytes();
        for (let i = 0; i < N; i++) void kiq.enqueue({ class: CLASS, queue: QUEUE, args: [i, PAD] });
        client = (heldBytes() - h0) / N; // still synchronous: nothing flushed yet
        await kiq.flush();
        await expectLength(env.admin, 'kiq');
      },
      true,
    );
    return [{ ...figures, client }];
  } finally {
    await kiq.stop();
  }
}

async function runRaw(env: BenchEnv): Promise<Figures[]> {
  const now = Date.now() / 1000;
  const json = (i: number) =>
    JSON.stringify({ retry: true, queue: QUEUE, class: CLASS, args: [i, PAD], jid: randomBytes(12).toString('hex'), created_at: now, enqueued_at: now });
  const figures = await redisBytes(
    env.admin,
    async () => {
      for (let b = 0; b < N; b += BATCH) await env.admin.lpush(QUEUE_KEY, ...Array.from({ length: Math.min(BATCH, N - b) }, (_, k) => json(b + k)));
      await expectLength(env.admin, 'raw');
    },
    true,
  );
  return [figures];
}

/** BullMQ: with the bench's job opts (client bytes from N un-awaited add()), then without opts. */
async function runBullmq(env: BenchEnv): Promise<Figures[]> {
  const queue = new Queue(QUEUE, { connection: env.target.connection });
  try {
    await queue.waitUntilReady();
    // client column: N un-awaited add()s (then written and flushed away); the Redis figures are addBulk's, as the other rows
    const h0 = heldBytes();
    const adds: Promise<unknown>[] = [];
    for (let i = 0; i < N; i++) adds.push(queue.add(CLASS, { args: [i, PAD] }, BULL_JOB_OPTS));
    const client = (heldBytes() - h0) / N;
    await Promise.all(adds);
    const bulk = (opts: typeof BULL_JOB_OPTS | undefined) => async () => {
      for (let b = 0; b < N; b += BATCH) {
        await queue.addBulk(Array.from({ length: Math.min(BATCH, N - b) }, (_, k) => ({ name: CLASS, data: { args: [b + k, PAD] }, ...(opts ? { opts } : {}) })));
      }
      const waiting = await queue.getWaitingCount();
      if (waiting !== N) throw new VerificationError(`bullmq: expected ${N} waiting jobs, got ${waiting}`);
    };
    const a = await redisBytes(env.admin, bulk(BULL_JOB_OPTS), false);
    const b = await redisBytes(env.admin, bulk(undefined), false);
    return [{ ...a, client }, b];
  } finally {
    await queue.close();
  }
}

async function runBee(env: BenchEnv): Promise<Figures[]> {
  const queue = await beeProducer(env.target);
  try {
    const h0 = heldBytes();
    const saves: Promise<unknown>[] = [];
    for (let i = 0; i < N; i++) saves.push(queue.createJob({ args: [i, PAD] }).save());
    const client = (heldBytes() - h0) / N;
    await Promise.all(saves);
    const figures = await redisBytes(env.admin, () => beeSaveAll(queue, N, BATCH), false);
    return [{ ...figures, client }];
  } finally {
    await queue.close();
  }
}

async function runSidekiq(env: BenchEnv): Promise<Figures[]> {
  const client = await rubyClient(env.target.url, 'push_bulk', [N]);
  try {
    // boot and connect before the "before" reading; flushdb in redisBytes keeps its connection
    const figures = await redisBytes(
      env.admin,
      async () => {
        await client.go();
        await expectLength(env.admin, 'sidekiq');
      },
      true,
    );
    return [figures];
  } finally {
    client.kill();
  }
}

const RUNNERS: Record<System, (env: BenchEnv) => Promise<Figures[]>> = {
  kiq: runKiq,
  raw: runRaw,
  bullmq: runBullmq,
  bee: runBee,
  sidekiq: runSidekiq,
};

const round1 = (n: number | undefined) => (n === undefined || !Number.isFinite(n) ? null : Math.round(n * 10) / 10);

export const memorySuite: Suite = {
  name: 'memory',
  async run(env) {
    const systems = runnable(pickSystems(SYSTEMS));
    console.log(`memory bench: ${fmt(N)} jobs x ${REPS} reps of ${systems.join(', ') || '(none)'} against ${env.where}${CAN_GC ? '' : ' (no forced GC: client column n/a)'}`);
    const { samples, noise } = await interleaved(
      env,
      systems,
      (system) => RUNNERS[system](env),
      (_, figures) => figures.map((f) => `redis ${fmt1(f.redis)} B/job${f.client === undefined ? '' : `  client ${fmt1(f.client)} B/job`}`).join(' | '),
    );
    const byRow = new Map<Row, Figures[]>();
    for (const [system, kept] of samples) {
      for (const { value } of kept) {
        value.forEach((figures, k) => {
          const row: Row = system === 'bullmq' && k === 1 ? 'bullmq_noopts' : system;
          byRow.set(row, [...(byRow.get(row) ?? []), figures]);
        });
      }
    }
    const med = (runs: readonly Figures[], pick: (f: Figures) => number | undefined) => {
      const values = runs.map(pick).filter((v): v is number => v !== undefined && Number.isFinite(v));
      return values.length > 0 ? median(values) : undefined;
    };
    const lines: string[] = [''];
    lines.push(`## Memory per job, ${fmt(N)} jobs: median of ${REPS} interleaved runs, bytes per job`);
    lines.push('');
    lines.push(`- node ${process.version}, redis ${env.redisVersion} (${env.where}); args [i, "${PAD}"]`);
    lines.push('- redis: INFO used_memory delta over N on a FLUSHed DB; list: MEMORY USAGE queue:bench over N');
    lines.push('- client: heapUsed + external after a full GC, N calls made synchronously (none written yet), over N');
    lines.push(`- ${noise}`);
    lines.push('');
    const json: Record<string, unknown> = { bench: 'memory' };
    const rows: string[][] = [];
    for (const row of ROWS) {
      const runs = byRow.get(row);
      if (!runs) continue;
      const redis = med(runs, (f) => f.redis);
      const list = med(runs, (f) => f.list);
      const client = med(runs, (f) => f.client);
      const show = (n: number | undefined) => (n === undefined ? 'n/a' : fmt1(n));
      rows.push([LABEL[row], show(redis), show(list), row === 'sidekiq' ? 'n/a (push is synchronous)' : show(client)]);
      json[`${row}_redis_b`] = round1(redis);
      if (row !== 'raw' && row !== 'bullmq_noopts' && row !== 'sidekiq') json[`${row}_client_b`] = round1(client);
    }
    lines.push(...table(['system', 'redis B/job (used_memory)', 'redis B/job (MEMORY USAGE list)', 'client B/buffered job'], rows));
    lines.push('');
    console.log(lines.join('\n'));
    return { json };
  },
};

if (isMain(import.meta.url)) main([memorySuite], 'memory bench');
