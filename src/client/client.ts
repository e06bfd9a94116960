/**
 * @internal
 * The client of one Kiq instance: `enqueue` builds the payload
 * (src/job/build.ts) and hands it to the sink chosen once by `testMode`
 * (src/client/sink.ts). The periodic ticker holds it too, as Sidekiq's
 * scheduler holds a `Sidekiq::Client`.
 */
import type { AnyActorLogic } from 'xstate';
import type { Periodic, ResolvedConfig } from '../config/options.js';
import { KiqNotRunningError } from '../errors.js';
import type { KiqEmitter, KiqLog } from '../events.js';
import { buildJob, type EnqueueOptions, type PlainJob } from '../job/build.js';
import type { KiqState } from '../kiq-state.js';
import { periodicJob } from '../periodic/job.js';
import { clearAll } from '../redis/clear.js';
import type { ConnectionPool } from '../redis/connections.js';
import type { Worker } from '../worker.js';
import type { Job, PushOptions, PushReceipt } from './enqueue-types.js';
import { RedisSink } from './redis-sink.js';
import { SandboxSink } from './sandbox-sink.js';
import type { SandboxStore } from './sandbox-store.js';
import type { JobSink } from './sink.js';

/**
 * The build options of an enqueue's options: all but `confirm`; `undefined`
 * when there are none (`{ confirm: true }` alone, the awaited push's usual
 * options, copies nothing).
 */
function buildOptionsOf(options: PushOptions | undefined): EnqueueOptions | undefined {
  if (options === undefined || !Object.hasOwn(options, 'confirm')) return options;
  let rest: Record<string, unknown> | undefined;
  for (const key of Object.keys(options)) if (key !== 'confirm') (rest ??= {})[key] = (options as Record<string, unknown>)[key];
  return rest;
}

/** What the client needs from its instance. */
export interface ClientDeps {
  /** The configuration, read at call time (the `init` hook replaces it at start). */
  readonly config: () => ResolvedConfig;
  readonly events: KiqEmitter;
  readonly log: KiqLog;
  /** The instance's lifecycle state: no enqueue after `stop()` (from the tree: until it is down). */
  readonly state: () => KiqState;
}

/** What the actor tree takes from the client (src/tree.ts). */
export interface TreeClient {
  /** The Flusher's `io` actor (its flush calls). */
  readonly flush: AnyActorLogic;
  /** Enqueue one occurrence of a periodic entry (the `periodic` ticker). */
  enqueuePeriodic(entry: Periodic): Promise<Job>;
}

/** Enqueue, flush and the buffered count of one instance. */
export class KiqClient {
  /** The Redis sink; absent in sandbox mode. */
  readonly redis: RedisSink | undefined;
  /** The sandbox store; absent unless `testMode: 'sandbox'`. */
  readonly sandbox: SandboxStore | undefined;
  readonly #sink: JobSink;
  readonly #deps: ClientDeps;
  #pool: ConnectionPool | undefined;

  constructor(deps: ClientDeps) {
    this.#deps = deps;
    if (deps.config().testMode === 'sandbox') {
      const sink = new SandboxSink(() => deps.config().clock);
      this.sandbox = sink.store;
      this.#sink = sink;
    } else {
      this.redis = new RedisSink(deps);
      this.#sink = this.redis;
    }
  }

  /** Jobs in memory, not yet written to Redis. */
  get buffered(): number {
    return this.#sink.buffered;
  }

  /**
   * Enqueue a job for a worker (`first`, with args `second`, options
   * `third`) or a plain job (`first`, options `second`); rejects, never
   * throws. `fromTree` (the periodic ticker) is still accepted while
   * stopping, since the Flusher's final flush runs after the periodic ticker
   * has stopped (an occurrence claimed during stop() would otherwise be lost
   * for everyone).
   */
  enqueue(first: Worker | PlainJob, second?: unknown, third?: PushOptions, fromTree = false): Promise<Job | PushReceipt> {
    try {
      const isWorker = typeof (first as Worker).perform === 'function';
      const options = (isWorker ? third : ((second as PushOptions | undefined) ?? third)) ?? undefined;
      const state = this.#deps.state();
      if ((state === 'stopping' && !fromTree) || state === 'stopped' || state === 'failed') throw new KiqNotRunningError('enqueue', state);
      const input = isWorker ? { worker: first as Worker, args: second as unknown[] } : (first as PlainJob);
      const config = this.#deps.config();
      return this.#sink.put(buildJob(input, config.clock, buildOptionsOf(options), config.middleware), options?.confirm === true);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** One occurrence of a periodic entry: its worker (or class name) with its args, its options overriding the worker's. */
  enqueuePeriodic(entry: Periodic): Promise<Job> {
    const { worker, args, options } = periodicJob(entry);
    const enqueued = typeof worker === 'string' ? this.enqueue({ class: worker, args }, undefined, options, true) : this.enqueue(worker, args, options, true);
    return enqueued as Promise<Job>;
  }

  /** Depth and age of the buffer, for `kiq.health()` (empty in sandbox mode). */
  depth(): { depth: number; oldestAgeMs: number } {
    return this.redis?.depth() ?? { depth: 0, oldestAgeMs: 0 };
  }

  /** Resolves when every job enqueued before this call is in Redis (at once in sandbox mode). */
  flush(): Promise<void> {
    return this.#sink.flush();
  }

  /** Connected at `start()`: the Flusher writes through `pool`, `clearAll` deletes through it. */
  connect(pool: ConnectionPool): void {
    this.#pool = pool;
  }

  /** Empty the buffer (or the sandbox) and delete every job in the Redis database (`kiq.clearAll()`); resolves with the keys deleted. */
  async clearAll(): Promise<number> {
    this.#sink.clear();
    if (!this.#pool) return 0;
    const deleted = await clearAll(this.#pool.next());
    this.#deps.log('warn', { event: 'cleared_all', keys: deleted });
    return deleted;
  }

  /** What the tree takes from the client, once connected: the Flusher's writes, and the periodic enqueue. */
  forTree(): TreeClient {
    if (!this.redis || !this.#pool) throw new KiqNotRunningError('start', 'not connected to Redis (no actor tree)');
    return { flush: this.redis.flushLogic(this.#pool), enqueuePeriodic: (entry) => this.enqueuePeriodic(entry) };
  }
}
