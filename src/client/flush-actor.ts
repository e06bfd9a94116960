/**
 * @internal
 * The Flusher's flush calls, run by its `io` actor (machines/flusher-io.ts):
 * take a batch from the buffer, write it with the {@link Pusher}, give back
 * what did not reach Redis. A failed write rejects, so the machine backs
 * off; the jobs are already back in the buffer.
 *
 * With a spool ({@link DurablePush}) the spool's records go first (they are
 * older than anything in memory), a batch per call; in `always` mode only
 * they do. A failing final flush (`stop()` while Redis is down) ends once
 * every waiting job is on disk: the next start pushes them.
 */
import type { TimestampFormat } from '../job/timestamp.js';
import { flusherIO, type FlushOutput } from '../../machines/flusher-io.js';
import type { Clock } from '../clock.js';
import type { ConnectionPool } from '../redis/connections.js';
import type { JobBuffer } from './buffer.js';
import type { BufferEntry } from './entry.js';
import { Pusher } from './pusher.js';
import type { DurablePush } from './spool/durable-push.js';

/** Most jobs written per flush call; the rest follow at once in the next call. */
export const FLUSH_BATCH = 10_000;

/** Callbacks for what a flush learns about Redis. */
export interface FlushHooks {
  /** A write failed; every job of it is back in the buffer. Called once per outage. */
  onOutage(error: Error, waiting: number): void;
  /** The first write after an outage succeeded. */
  onRestored(): void;
  /** Redis refused these jobs (a reply error such as WRONGTYPE); they cannot be retried as they are. */
  onRefused(refused: readonly { entry: BufferEntry; error: Error }[]): void;
}

/** The Flusher's `io` actor logic of one Kiq instance, and the buffer's direct line to a running call. */
export interface FlushActor {
  readonly logic: ReturnType<typeof flusherIO>;
  /**
   * A job landed in an empty buffer. A running flush call (writing, or
   * lingering for more) writes it: nothing else happens (`flusherIdle` is
   * not even asked). Otherwise the Flusher must be woken, by `tell` (its
   * `enqueued` event): at once, or, when the Flusher is `idle`
   * (`flusherIdle()`) and there is no spool, once
   * a call started here has the reply to its first write. That call writes
   * before any statechart step, and the Flusher's step (the `flush` it asks
   * for is this call) runs after that reply, not between the enqueue and
   * the job reaching Redis and its worker.
   */
  wake(flusherIdle: () => boolean, tell: () => void): void;
  /** `stop()` began: a running call stops lingering and ends after its write; the final flush writes the rest. */
  stopping(): void;
}

/** A running in-memory flush call, while it may take more jobs. */
interface Loop {
  /** The `io` actor's lifetime signal the call runs under. */
  readonly signal: AbortSignal;
  /** Ends the wait for more jobs early (set while lingering). */
  woken: (() => void) | undefined;
}

/**
 * Build the Flusher's `io` actor for one Kiq instance.
 *
 * Without a spool one call keeps writing while the buffer has jobs, and
 * lingers one macrotask (or until the buffer's nudge) once it is empty, so
 * an awaited `confirm: true` loop (its next job arrives from the previous
 * confirmation's continuation) costs no Flusher step per job, and a job
 * that lands while the Flusher is idle starts the call itself (`wake`).
 * The call ends after its in-flight write when the `io` actor is stopped
 * (its `signal` aborts: a restarted Flusher never has two calls writing), at
 * `stop()`, or when a write fails after others succeeded (the next call
 * retries and reports the outage, so the Flusher counts every write).
 */
export function createFlushActor(
  buffer: JobBuffer,
  pool: ConnectionPool,
  clock: Clock,
  hooks: FlushHooks,
  timestamps: TimestampFormat = 'seconds',
  durable?: DurablePush,
): FlushActor {
  const pusher = new Pusher(timestamps);
  let failing = false;
  let stopping = false;
  /** The call that takes the buffer's nudges directly, if any. */
  let current: Loop | undefined;
  /** The `io` actor's lifetime signal (set when it starts). */
  let lifetime: AbortSignal | undefined;
  /** A call `wake` started for an idle Flusher, which its next `flush` takes over. */
  let early: Promise<FlushOutput> | undefined;
  const failed = (error: Error): never => {
    if (!failing) hooks.onOutage(error, buffer.size);
    failing = true;
    durable?.outage(true);
    throw error;
  };
  const succeeded = () => {
    if (failing) hooks.onRestored();
    failing = false;
    durable?.outage(false);
  };
  // jobs left in memory for this actor to push, +1 while the spool holds records (the machine only asks "> 0?")
  const remaining = () => (durable?.pushesFromMemory === false ? 0 : buffer.pending) + (durable?.spool.backlog ? 1 : 0);
  /** Wait one macrotask, or less if a job arrives first. */
  const linger = (loop: Loop) =>
    new Promise<void>((resolve) => {
      const end = () => {
        clearImmediate(timer);
        loop.woken = undefined;
        resolve();
      };
      const timer = setImmediate(end);
      loop.woken = end;
    });

  /** Ends the running call's wait for more jobs: it no longer takes the buffer's nudges. */
  const release = (loop: Loop) => {
    if (current === loop) current = undefined;
    loop.woken?.();
  };

  /**
   * The in-memory path: write batch after batch while jobs keep coming (see
   * above). `afterFirstWrite`: called once, when the first write has its
   * reply (or the call ends without one).
   */
  const writeLoop = async (signal: AbortSignal, afterFirstWrite?: () => void): Promise<FlushOutput> => {
    const loop: Loop = { signal, woken: undefined };
    let told = afterFirstWrite === undefined;
    const tell = () => {
      if (told) return;
      told = true;
      afterFirstWrite!();
    };
    current = loop;
    let written = 0;
    let writes = 0;
    try {
      for (;;) {
        let batch = buffer.take(FLUSH_BATCH);
        if (batch.length === 0) {
          if (writes === 0 || stopping || signal.aborted) break;
          await linger(loop);
          if (stopping || signal.aborted) break;
          batch = buffer.take(FLUSH_BATCH);
          if (batch.length === 0) break;
        }
        const result = await pusher.push(pool.next(), batch, clock.realMs() / 1000);
        buffer.settle(batch, result.retry);
        if (result.refused.length > 0) hooks.onRefused(result.refused);
        if (result.error) {
          if (writes === 0) failed(result.error);
          break;
        }
        succeeded();
        writes += 1;
        written += batch.length - result.refused.length;
        tell();
        if (stopping || signal.aborted) break;
      }
    } finally {
      release(loop);
      tell();
    }
    return { written, remaining: remaining() };
  };

  const flush = async (signal: AbortSignal): Promise<FlushOutput> => {
    if (early) {
      const call = early;
      early = undefined;
      return call;
    }
    if (!durable) return writeLoop(signal);
    if (failing && durable.stopping && durable.writable) {
      durable.spoolAll();
      if (buffer.size === 0) return { written: 0, remaining: 0 };
    }
    if (!durable.pushesFromMemory) {
      // `always` mode: this call's group commit, then push what is durable
      durable.spoolAll();
      await durable.spool.synced();
    }
    if (durable.spool.backlog) {
      let written: number;
      try {
        written = await durable.spool.replay(pool.next(), clock.realMs() / 1000);
      } catch (error) {
        return failed(error instanceof Error ? error : new Error(String(error)));
      }
      succeeded();
      return { written, remaining: remaining() };
    }
    if (!durable.pushesFromMemory) return { written: 0, remaining: remaining() };
    const batch = buffer.take(FLUSH_BATCH);
    if (batch.length === 0) return { written: 0, remaining: remaining() };
    durable.writing(true);
    const result = await pusher.push(pool.next(), batch, clock.realMs() / 1000).finally(() => durable.writing(false));
    buffer.settle(batch, result.retry);
    if (result.refused.length > 0) hooks.onRefused(result.refused);
    if (result.error) return failed(result.error);
    succeeded();
    return { written: batch.length - result.refused.length, remaining: remaining() };
  };

  return {
    logic: flusherIO({
      started: (signal) => {
        lifetime = signal;
        early = undefined;
        // one listener per actor, not one per call (an EventTarget listener is a costly add and remove on the lone job's path)
        signal.addEventListener('abort', () => current?.signal === signal && release(current), { once: true });
      },
      flush,
    }),
    wake(flusherIdle, tell) {
      if (current) {
        current.woken?.();
        return;
      }
      if (!durable && !stopping && !early && lifetime && !lifetime.aborted && flusherIdle()) {
        const call = writeLoop(lifetime, tell);
        // its outcome reaches the Flusher through the flush that `tell` makes it ask for
        call.catch(() => undefined);
        early = call;
        return;
      }
      tell();
    },
    stopping() {
      stopping = true;
      current?.woken?.();
    },
  };
}
