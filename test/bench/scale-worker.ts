/**
 * Child process of scale.bench.ts: one Kiq server over the given queues
 * with a no-op worker, started on the parent's `'go'`.
 *
 *   node --import tsx test/bench/scale-worker.ts '<json ScaleWorkerConfig>'
 *
 * Messages to the parent: `{ type: 'ready', identity }` once constructed;
 * after `'stop'`: `{ type: 'stopped', performs, firstMs, lastMs, cpuUs }`:
 * perform count, epoch ms of the first and last perform, and this process's
 * CPU from the first perform until `'stop'`. Then it exits.
 */
import { Kiq, defineWorker } from '../../src/index.js';
import { CLASS, nowMs, silentLogger, type Target } from './lib/common.js';

/** What the parent passes as the argument. */
export interface ScaleWorkerConfig {
  readonly target: Target;
  /** Queue name → concurrency. */
  readonly queues: Readonly<Record<string, number>>;
}

/** A message from the worker to the parent. */
export type ScaleWorkerMessage =
  | { type: 'ready'; identity: string }
  | { type: 'stopped'; performs: number; firstMs: number; lastMs: number; cpuUs: number };

const config = JSON.parse(process.argv[2] ?? '{}') as ScaleWorkerConfig;
let performs = 0;
let firstMs = Number.NaN;
let lastMs = Number.NaN;
let cpu0: NodeJS.CpuUsage | undefined;

// one class for every queue: jobs name their queue, the class picks the worker
const Noop = defineWorker<[number, string]>({
  class: CLASS,
  queue: Object.keys(config.queues)[0]!,
  perform() {
    lastMs = nowMs();
    if (performs++ === 0) {
      firstMs = lastMs;
      cpu0 = process.cpuUsage();
    }
  },
});
const kiq = new Kiq({ redisUrl: config.target.url, queues: config.queues, workers: [Noop], fetchInterval: 500, logger: silentLogger });

process.on('message', (message) => {
  if (message === 'go') {
    kiq.start().catch((error: unknown) => {
      console.error(error);
      process.exit(1);
    });
  } else if (message === 'stop') {
    const cpu = process.cpuUsage(cpu0);
    kiq.stop().then(
      () => {
        const reply: ScaleWorkerMessage = { type: 'stopped', performs, firstMs, lastMs, cpuUs: cpu0 ? cpu.user + cpu.system : Number.NaN };
        process.send!(reply, undefined, {}, () => process.exit(0));
      },
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  }
});
const ready: ScaleWorkerMessage = { type: 'ready', identity: kiq.identity };
process.send!(ready);
