/**
 * Child process of latency.bench.ts: one waiting worker (kiq, BullMQ or bee-queue) that
 * records, for each job, `performance.timeOrigin + performance.now()` at the
 * start of its perform/processor minus the producer's epoch timestamp carried
 * in the job.
 *
 *   node --import tsx test/bench/latency-worker.ts <kiq|bullmq|bee> '<json WorkerConfig>'
 *
 * Messages to the parent: `{ type: 'ready', identity? }` once the worker
 * waits for jobs; `{ type: 'samples', latencies, distinct }` at the Nth job;
 * `{ type: 'stopped', performs }` after the parent's `'stop'`, then exit.
 */
import { Worker as BullWorker, type Job as BullJob } from 'bullmq';
import { Kiq, defineWorker } from '../../src/index.js';
import { beeConsumer } from './lib/bee.js';
import { QUEUE, nowMs, silentLogger, type Target } from './lib/common.js';

/** What the parent passes as the second argument. */
export interface WorkerConfig {
  readonly target: Target;
  /** Jobs to wait for. */
  readonly n: number;
  readonly concurrency: number;
  /** Class name of the kiq job. */
  readonly kiqClass: string;
}

/** A message from the worker to the parent. */
export type WorkerMessage =
  | { type: 'ready'; identity?: string }
  | { type: 'samples'; latencies: number[]; distinct: number }
  | { type: 'stopped'; performs: number };

function send(message: WorkerMessage, then?: () => void): void {
  process.send!(message, undefined, {}, then ? () => then() : undefined);
}

const [system, rawConfig] = process.argv.slice(2);
const config = JSON.parse(rawConfig ?? '{}') as WorkerConfig;
const latencies = new Float64Array(config.n);
const seen = new Set<number>();
let performs = 0;

/** Record one job; `startedAt` is read first thing in the processor. */
function record(startedAt: number, id: number, t0: number): void {
  if (performs < config.n) latencies[performs] = startedAt - t0;
  performs++;
  seen.add(id);
  if (performs === config.n) send({ type: 'samples', latencies: Array.from(latencies), distinct: seen.size });
}

async function startKiq(): Promise<() => Promise<void>> {
  const Job = defineWorker<[number, string, number]>({
    class: config.kiqClass,
    queue: QUEUE,
    perform(args) {
      record(nowMs(), args[0], args[2]);
    },
  });
  const kiq = new Kiq({
    redisUrl: config.target.url,
    queues: { [QUEUE]: config.concurrency },
    workers: [Job],
    fetchInterval: 500,
    logger: silentLogger,
  });
  await kiq.start();
  send({ type: 'ready', identity: kiq.identity });
  return () => kiq.stop();
}

async function startBullmq(): Promise<() => Promise<void>> {
  const worker = new BullWorker(
    QUEUE,
    async (job: BullJob<{ t0: number; args: [number, string] }>) => {
      record(nowMs(), job.data.args[0], job.data.t0);
    },
    { connection: config.target.connection, concurrency: config.concurrency },
  );
  await worker.waitUntilReady();
  send({ type: 'ready' });
  return () => worker.close();
}

async function startBee(): Promise<() => Promise<void>> {
  const queue = await beeConsumer(config.target);
  queue.process(config.concurrency, async (job) => {
    record(nowMs(), job.data.args[0], job.data.t0 ?? Number.NaN);
  });
  send({ type: 'ready' });
  return () => queue.close();
}

const STARTERS: Record<string, () => Promise<() => Promise<void>>> = { kiq: startKiq, bullmq: startBullmq, bee: startBee };

async function run(): Promise<void> {
  const start = system === undefined ? undefined : STARTERS[system];
  if (!start) throw new Error(`latency-worker: unknown system ${String(system)}`);
  const stop = await start();
  process.on('message', (message) => {
    if (message !== 'stop') return;
    stop().then(
      () => {
        // once the message is out, leave: an open handle must not keep the child alive
        send({ type: 'stopped', performs }, () => process.exit(0));
      },
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  });
}

run().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
