/**
 * The client half of `Kiq`'s public API (Sidekiq::Client's part):
 * `enqueue`, `flush`, `buffered` and `clearAll`, each delegating to the
 * instance's {@link KiqClient}. `Kiq` (src/kiq.ts) extends it and adds the
 * lifecycle.
 */
import type { PlainJob } from '../job/build.js';
import { kClient } from '../symbols.js';
import type { Worker } from '../worker.js';
import type { KiqClient } from './client.js';
import type { EnqueueArgs, EnqueueResult, Job, PushOptions, PushReceipt } from './enqueue-types.js';

/** Enqueueing and clearing of a Kiq instance. */
export abstract class KiqClientFacade {
  /** @internal The client the calls go to. */
  protected abstract readonly [kClient]: KiqClient;

  /** Jobs in memory, enqueued but not yet written to Redis (jobs in the spool are not counted). */
  get buffered(): number {
    return this[kClient].buffered;
  }

  /**
   * Enqueue a job for `worker` with typed `args`, or a plain Sidekiq-style
   * job (`{ class, args, queue, … }`, e.g. for a Ruby worker). Resolves with
   * the job at once (it is in the reliable-push buffer, flushed within
   * milliseconds); with `confirm: true`, once Redis has it.
   * Rejects with `InvalidJobError` for bad input, `BufferFullError` when the
   * buffer (or the spool) is full, `KiqNotRunningError` after `stop()`.
   *
   * The args type is the worker's alone ({@link EnqueueArgs}): one signature
   * rather than overloads, so a mistake is reported on the args themselves.
   *
   * @example
   * const job = await kiq.enqueue(Mailer, ['a@b.c', 1]);
   * const receipt = await kiq.enqueue(Mailer, ['a@b.c', 2], { confirm: true, in: 30_000 });
   * await kiq.enqueue({ class: 'HardWorker', queue: 'ruby', args: [1, 'x'] });
   * // kiq.enqueue(Mailer, [1, 'a@b.c']);  // compile error on 1: not assignable to string
   */
  enqueue<F extends Worker | PlainJob, C extends boolean = false>(first: F, ...rest: EnqueueArgs<F, C>): Promise<EnqueueResult<C>>;
  enqueue(first: Worker | PlainJob, second?: unknown, third?: PushOptions): Promise<Job | PushReceipt> {
    return this[kClient].enqueue(first, second, third);
  }

  /** Resolves when every job enqueued before this call is in Redis (at once in sandbox mode). */
  flush(): Promise<void> {
    return this[kClient].flush();
  }

  /**
   * **Deletes every job in this Redis database, not only this app's**: every
   * queue (Ruby Sidekiq's too) and `queues`, every private queue, the
   * schedule, retry and dead sets, unique locks and stat counters; also
   * empties the buffer (and the sandbox); the spool's files are left alone.
   * Live processes' heartbeats and the
   * leader key stay. As Kiq's `clear`; for tests and development only, on a
   * database of their own. Each call logs a `warn` line (`cleared_all`, the
   * number of keys deleted). Resolves with that number.
   *
   * @example
   * afterEach(() => kiq.clearAll()); // a test database only
   */
  clearAll(): Promise<number> {
    return this[kClient].clearAll();
  }

  /**
   * The old name of {@link KiqClientFacade.clearAll}, which says what it
   * deletes: every job in the database, Ruby Sidekiq's included.
   *
   * @deprecated Use `clearAll()`.
   */
  async clear(): Promise<void> {
    await this.clearAll();
  }
}
