/**
 * @internal
 * The workers `kiq demo` runs: ordinary `defineWorker` workers, as an app
 * would write them, on queues of their own (`demo`, `demo-flaky`,
 * `demo-cron`) so the demo can share a Redis with real work and clear only
 * what is its own.
 *
 * - `Demo::Greeter`: fast, always succeeds.
 * - `Demo::Flaky`: on its first attempt it fails about 30 % of the time; its
 *   retry always succeeds (a service that recovers), so no demo job reaches
 *   the dead set and the demo ends within a bounded time. `retryIn` asks for
 *   1 s; Kiq adds Sidekiq's jitter (0–9 s × (retry count + 1)), so retries
 *   come back 1–10 s later.
 * - `Demo::Later`: enqueued `{ in: 2000 }`: it waits in the `schedule` set
 *   until the schedule poller moves it to its queue.
 * - `Demo::Tick`: a periodic job, every 2 s (`*\/2 * * * * *`), enqueued by
 *   the leader only.
 */
import type { PeriodicEntry } from '../config/options.js';
import { defineWorker } from '../worker.js';

/** The queues the demo uses, with their concurrency. Nothing else is touched at start. */
export const DEMO_QUEUES = { demo: 10, 'demo-flaky': 5, 'demo-cron': 1 } as const;

/** Share of first attempts of `Demo::Flaky` that fail. */
export const FLAKY_FAILURE_RATE = 0.3;

/** What `Demo::Flaky` asks `retryIn` for, ms (Kiq adds Sidekiq's jitter on top). */
export const FLAKY_RETRY_IN_MS = 1000;

/** The delay `Demo::Later` jobs are enqueued with, ms. */
export const LATER_IN_MS = 2000;

/** The periodic `Demo::Tick` entry's cron expression (6 fields: seconds first). */
export const TICK_CRON = '*/2 * * * * *';

/**
 * Simulated work: resolves after `min`–`max` ms, or at once when the job is
 * aborted. The listener is removed when the work ends: `ctx.signal` belongs
 * to the queue and outlives the job.
 */
function work(min: number, max: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, min + Math.random() * (max - min));
    signal.addEventListener('abort', done, { once: true });
  });
}

export const Greeter = defineWorker({
  class: 'Demo::Greeter',
  queue: 'demo',
  async perform(_args: [name: string, n: number], ctx) {
    await work(5, 30, ctx.signal);
  },
});

/** Thrown by `Demo::Flaky`: what a timed-out call to some service would throw. */
export class FlakyServiceError extends Error {
  override name = 'FlakyServiceError';
}

export const Flaky = defineWorker({
  class: 'Demo::Flaky',
  queue: 'demo-flaky',
  retry: 3,
  retryIn: () => FLAKY_RETRY_IN_MS,
  async perform([n]: [number], ctx) {
    await work(10, 60, ctx.signal);
    // `retry_count` is absent on the first attempt only
    const firstAttempt = ctx.job.retry_count === undefined;
    if (firstAttempt && Math.random() < FLAKY_FAILURE_RATE) {
      throw new FlakyServiceError(`job ${n}: the flaky service timed out (simulated)`);
    }
  },
});

export const Later = defineWorker({
  class: 'Demo::Later',
  queue: 'demo',
  async perform(_args: [n: number], ctx) {
    await work(1, 5, ctx.signal);
  },
});

export const Tick = defineWorker({
  class: 'Demo::Tick',
  queue: 'demo-cron',
  retry: 0,
  perform() {},
});

/** Every demo worker. */
export const DEMO_WORKERS = [Greeter, Flaky, Later, Tick] as const;

/** The demo's periodic entries. */
export const DEMO_PERIODICS: readonly PeriodicEntry[] = [[TICK_CRON, Tick]];
