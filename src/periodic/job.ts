/**
 * @internal
 * What one occurrence of a periodic entry enqueues: the entry's worker (or
 * class name) with its `args`, every other entry option passed as a per-call
 * enqueue option, so it overrides the worker's own (`queue`, `retry`,
 * `uniqueFor`, `expiresIn`, …). Kiq used `args` only and ignored the rest
 * (docs/kiq-elixir.md §8.1, docs/kiq-elixir.md bug 7).
 */
import type { Periodic } from '../config/options.js';
import type { EnqueueOptions } from '../job/build.js';
import type { Worker } from '../worker.js';

/** The arguments of `kiq.enqueue` for one occurrence. */
export interface PeriodicJob {
  /** A worker (`kiq.enqueue(worker, args, options)`) or a class name (`kiq.enqueue({ class, args }, options)`). */
  readonly worker: Worker | string;
  /** A fresh copy of the entry's `args` (`[]` when absent). */
  readonly args: unknown[];
  readonly options: EnqueueOptions;
}

/**
 * Splits an entry into `kiq.enqueue` arguments.
 *
 * @example
 * const { worker, args, options } = periodicJob(entry);
 * const job = typeof worker === 'string' ? kiq.enqueue({ class: worker, args }, options) : kiq.enqueue(worker, args, options);
 */
export function periodicJob(entry: Pick<Periodic, 'worker' | 'options'>): PeriodicJob {
  const { args, ...options } = entry.options;
  return { worker: entry.worker, args: args === undefined ? [] : [...args], options };
}
