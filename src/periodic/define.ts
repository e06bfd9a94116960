/**
 * `definePeriodic`: a periodic entry whose `args` are checked against the
 * worker's own argument types at compile time. A bare tuple in `periodics`
 * cannot be: TypeScript has no way to relate the worker of each array
 * element to the args of the same element.
 */
import type { PeriodicEntry, PeriodicOptions } from '../config/options.js';
import type { Worker } from '../worker.js';

/**
 * The options of {@link definePeriodic} for worker (or class name) `W`: for
 * a worker whose `perform` takes arguments, `{ args }` of exactly its type
 * is required; for a worker without arguments, or a class name (a Ruby
 * worker), the options are optional and `args` is unchecked for the latter.
 *
 * @example
 * const rest: PeriodicArgs<typeof Digest> = [{ args: ['daily'], queue: 'low' }];
 */
export type PeriodicArgs<W> =
  W extends Worker<infer Args>
    ? [] extends Args
      ? [options?: PeriodicOptions<Args>]
      : [options: PeriodicOptions<Args> & { args: Args }]
    : [options?: PeriodicOptions];

/**
 * One `periodics` entry, `[cron, worker, options]`, with the options checked
 * against the worker: `definePeriodic('0 6 * * *', Digest, { args: [1] })` for
 * a `[string]` worker is a compile error on `args`. The cron expression is
 * checked when Kiq is constructed, as for a bare tuple.
 *
 * @example
 * const kiq = new Kiq({
 *   workers: [Digest],
 *   periodics: [definePeriodic('0 6 * * *', Digest, { args: ['daily'], queue: 'low' })],
 * });
 */
export function definePeriodic<W extends Worker | string>(cron: string, worker: W, ...options: PeriodicArgs<W>): PeriodicEntry {
  const [given] = options;
  return given === undefined ? [cron, worker] : [cron, worker, given];
}
