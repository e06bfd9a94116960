/**
 * Child process of enqueue-one.bench.ts: one Node client (kiq, BullMQ or
 * bee-queue) making awaited single enqueues in a process of its own, so no
 * system runs on JIT state another left behind (BullMQ and Kiq share
 * ioredis's code) — the Ruby client of the Sidekiq runs is its own process
 * too.
 *
 *   node --import tsx test/bench/enqueue-one-client.ts <kiq|bullmq|bee> '<json ClientConfig>'
 *
 * It connects, makes `warmup` untimed enqueues, sends `{ type: 'ready' }`,
 * waits for the parent's `'go'`, makes `n` timed ones and sends
 * `{ type: 'timing', seconds, cpu }` (wall and process CPU seconds of the
 * timed section, as test/bench/sidekiq/client.rb prints), then closes and
 * exits. Any failure exits non-zero with the error on stderr.
 */
import { performance } from 'node:perf_hooks';
import { Queue } from 'bullmq';
import { Kiq } from '../../src/index.js';
import { beeProducer } from './lib/bee.js';
import { CLASS, PAD, QUEUE, VerificationError, silentLogger, type Target } from './lib/common.js';

/** What the parent passes as the second argument. */
export interface ClientConfig {
  readonly target: Target;
  /** Timed enqueues. */
  readonly n: number;
  /** Untimed enqueues before them. */
  readonly warmup: number;
}

/** A message from the client to the parent. */
export type ClientMessage = { type: 'ready' } | { type: 'timing'; seconds: number; cpu: number };

/** A connected client: one awaited enqueue of job `i`, and how to close. */
interface Enqueuer {
  one(i: number): Promise<void>;
  close(): Promise<void>;
}

async function kiqEnqueuer(target: Target): Promise<Enqueuer> {
  const kiq = new Kiq({ redisUrl: target.url, server: false, logger: silentLogger });
  await kiq.start();
  return {
    async one(i) {
      const receipt = await kiq.enqueue({ class: CLASS, args: [i, PAD], queue: QUEUE }, { confirm: true });
      if (receipt.status !== 'enqueued') throw new VerificationError(`kiq: job ${i} confirmed as ${receipt.status}`);
    },
    close: () => kiq.stop(),
  };
}

async function bullmqEnqueuer(target: Target): Promise<Enqueuer> {
  const queue = new Queue(QUEUE, { connection: target.connection });
  await queue.waitUntilReady();
  return {
    async one(i) {
      await queue.add(CLASS, { args: [i, PAD] });
    },
    close: () => queue.close(),
  };
}

async function beeEnqueuer(target: Target): Promise<Enqueuer> {
  const queue = await beeProducer(target);
  return {
    async one(i) {
      await queue.createJob({ args: [i, PAD] }).save();
    },
    close: () => queue.close(),
  };
}

const OPEN: Record<string, (target: Target) => Promise<Enqueuer>> = { kiq: kiqEnqueuer, bullmq: bullmqEnqueuer, bee: beeEnqueuer };

function send(message: ClientMessage): Promise<void> {
  return new Promise((resolve, reject) => process.send!(message, undefined, {}, (error) => (error ? reject(error) : resolve())));
}

function nextGo(): Promise<void> {
  return new Promise((resolve) => process.once('message', () => resolve()));
}

async function run(): Promise<void> {
  const [system, rawConfig] = process.argv.slice(2);
  const open = OPEN[system ?? ''];
  if (!open) throw new Error(`usage: enqueue-one-client.ts <${Object.keys(OPEN).join('|')}> '<json config>'`);
  const config = JSON.parse(rawConfig ?? '{}') as ClientConfig;
  const client = await open(config.target);
  try {
    for (let i = 0; i < config.warmup; i++) await client.one(i);
    const go = nextGo();
    await send({ type: 'ready' });
    await go;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    for (let i = config.warmup; i < config.warmup + config.n; i++) await client.one(i);
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    await send({ type: 'timing', seconds, cpu: (cpu.user + cpu.system) / 1e6 });
  } finally {
    await client.close();
  }
}

run().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
