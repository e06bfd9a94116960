/**
 * @internal
 * The sink of every mode but `sandbox`: reliable push. An enqueued job
 * waits in the {@link JobBuffer} (or, during an outage with a `spool`, on
 * disk) until a flush call of the Flusher writes it; a job landing in an
 * empty buffer wakes the Flusher here, once the tree is attached. What the
 * flushes learn about Redis becomes log lines and `push.*` events.
 */
import type { AnyActorLogic, AnyActorRef } from 'xstate';
import { hasTag, Tag } from '../../machines/tags.js';
import { FLUSHER_ID } from '../actor-ids.js';
import type { ResolvedConfig } from '../config/options.js';
import { BufferFullError, UnflushedJobsError } from '../errors.js';
import type { KiqEmitter, KiqLog } from '../events.js';
import type { BuiltJob } from '../job/build.js';
import type { ConnectionPool } from '../redis/connections.js';
import { describeRedisError } from '../redis/redis-error.js';
import { JobBuffer } from './buffer.js';
import type { Job, PushReceipt } from './enqueue-types.js';
import type { BufferEntry, Confirmation, PushOutcome } from './entry.js';
import { createFlushActor, type FlushActor } from './flush-actor.js';
import type { JobSink } from './sink.js';
import type { DurablePush } from './spool/durable-push.js';
import { openDurablePush, type SpoolCounts } from './spool/open-durable-push.js';
import { toEntry } from './to-entry.js';

/**
 * An awaited push's confirmation: settles the caller's promise, a receipt
 * on success. A class, not an object of closures: one is made per awaited
 * push, and the receipt is built without a spread.
 */
class Receipt implements Confirmation {
  readonly #job: Job;
  readonly #resolve: (receipt: PushReceipt) => void;
  readonly #reject: (error: Error) => void;

  constructor(job: Job, resolve: (receipt: PushReceipt) => void, reject: (error: Error) => void) {
    this.#job = job;
    this.#resolve = resolve;
    this.#reject = reject;
  }

  resolve(outcome: PushOutcome): void {
    const { status, holder } = outcome;
    this.#resolve(holder === undefined ? { status, job: this.#job } : { status, job: this.#job, holder });
  }

  reject(error: Error): void {
    this.#reject(error);
  }
}

/** What the Redis sink needs from its instance. */
export interface RedisSinkDeps {
  /** The configuration, read at call time (the `init` hook replaces it at start). */
  readonly config: () => ResolvedConfig;
  readonly events: KiqEmitter;
  readonly log: KiqLog;
}

/** The reliable-push buffer, its spool and the Flusher's wake-up. */
export class RedisSink implements JobSink {
  readonly buffer: JobBuffer;
  readonly #deps: RedisSinkDeps;
  /** The spool (`spool` option), open between `open()` and `close()`. */
  #durable: DurablePush | undefined;
  readonly #spoolCounts: SpoolCounts = { spooled: 0, replayed: 0 };
  /** The running tree, whose Flusher a first job wakes. */
  #root: AnyActorRef | undefined;
  /** The Flusher's flush calls of this start, which take the buffer's nudges directly. */
  #flush: FlushActor | undefined;
  /** The Flusher's `enqueued` event, for the flush calls (the Flusher of the moment: a restarted one too). */
  readonly #tellFlusher = (): void => this.#wakeFlusher();
  /** Whether the Flusher of the moment is `idle` (asked only when no flush call is running). */
  readonly #flusherIdle = (): boolean => hasTag(this.#root?.system.get(FLUSHER_ID)?.getSnapshot(), Tag.idle);

  constructor(deps: RedisSinkDeps) {
    this.#deps = deps;
    this.buffer = new JobBuffer(deps.config().bufferLimit, () => this.#nudge(), () => deps.config().clock.monoMs());
  }

  get buffered(): number {
    return this.buffer.size;
  }

  /** Depth and age of the buffer, for `kiq.health()`. */
  depth(): { depth: number; oldestAgeMs: number } {
    return { depth: this.buffer.size, oldestAgeMs: this.buffer.oldestAgeMs() };
  }

  /** Open the spool of the `spool` option, if any (before the tree starts). */
  async open(): Promise<void> {
    const config = this.#deps.config();
    if (!config.spool) return;
    const { events, log } = this.#deps;
    this.#durable = await openDurablePush(
      config.spool,
      { buffer: this.buffer, clock: config.clock, events, timestamps: config.timestamps, log, wake: () => this.#wakeFlusher() },
      this.#spoolCounts,
    );
  }

  /** The Flusher's `io` actor, writing through `pool`. */
  flushLogic(pool: ConnectionPool): AnyActorLogic {
    const { events, log } = this.#deps;
    const config = this.#deps.config();
    this.#flush = createFlushActor(
      this.buffer,
      pool,
      config.clock,
      {
        onOutage: (error, waiting) => {
          const info = describeRedisError(error);
          log('warn', { event: 'enqueueing_failed', error: info.message, cause: info.cause, waiting });
          events.emit('push.outage', { error, waiting });
        },
        onRestored: () => {
          log('info', { event: 'enqueueing_restored', ...(this.#durable ? { spooled: this.#spoolCounts.spooled } : {}) });
          this.#spoolCounts.spooled = 0;
          events.emit('push.restored', {});
        },
        onRefused: (refused) => {
          for (const { entry, error } of refused) events.emit('error', new UnflushedJobsError([entry.json], { cause: error }));
        },
      },
      config.timestamps,
      this.#durable,
    );
    return this.#flush.logic as AnyActorLogic;
  }

  /** The tree is created: from now on a first job wakes its Flusher. */
  attach(root: AnyActorRef): void {
    this.#root = root;
  }

  /** Redis is back: end the Flusher's backoff. */
  redisReady(): void {
    this.#root?.system.get(FLUSHER_ID)?.send({ type: 'redis.ready' });
  }

  put(built: BuiltJob, confirm: boolean): Promise<Job | PushReceipt> {
    const config = this.#deps.config();
    if (this.#durable?.full) throw new BufferFullError(config.spool!.maxBytes, true);
    const job: Job = built.payload;
    if (!confirm) {
      this.#push((seq) => toEntry(built, seq, undefined, config.timestamps));
      return Promise.resolve(job);
    }
    return new Promise<PushReceipt>((resolve, reject) => {
      const receipt = new Receipt(job, resolve, reject);
      this.#push((seq) => toEntry(built, seq, receipt, config.timestamps));
    });
  }

  flush(): Promise<void> {
    // a job the spool took has left the buffer: wait for the spool after it
    return this.buffer.drained().then(() => this.#durable?.spool.drained());
  }

  clear(): void {
    this.buffer.takeAll();
  }

  /** `stop()` began: a failing final flush may end once everything is on disk. */
  stopping(): void {
    if (this.#durable) this.#durable.stopping = true;
    this.#flush?.stopping();
  }

  /** After the final flush: what Redis did not take goes to the spool for the next start; the spool closes. */
  async close(): Promise<void> {
    const durable = this.#durable;
    if (!durable) return;
    if (durable.writable) durable.spoolAll();
    await this.closeSpool();
  }

  /** Stop the pump and close the spool (its lock released); say what it keeps for the next start. */
  async closeSpool(): Promise<void> {
    const durable = this.#durable;
    if (!durable) return;
    this.#durable = undefined;
    durable.close();
    await durable.spool.close();
    if (durable.spool.backlog) this.#deps.log('warn', { event: 'spool_kept', dir: durable.spool.dir, bytes: durable.spool.bytes, segments: durable.spool.segments });
  }

  /** Take the jobs left in memory (stop: they could not reach Redis), as their JSON. */
  takeUnflushed(): string[] {
    return this.buffer.takeAll().map((entry) => entry.json);
  }

  /** Into the spool at once during an outage (on disk before enqueue returns), else into the buffer. */
  #push(make: (seq: number) => BufferEntry): void {
    if (this.#durable?.accept(make)) return;
    this.buffer.add(make);
  }

  /** A job arrived in an empty buffer: wake the Flusher, by a direct call while a flush call is running (and the spool's pump). */
  #nudge(): void {
    if (!this.#root) return;
    if (this.#flush) this.#flush.wake(this.#flusherIdle, this.#tellFlusher);
    else this.#root.system.get(FLUSHER_ID)?.send({ type: 'enqueued' });
    this.#durable?.enqueued();
  }

  #wakeFlusher(): void {
    this.#root?.system.get(FLUSHER_ID)?.send({ type: 'enqueued' });
  }
}
