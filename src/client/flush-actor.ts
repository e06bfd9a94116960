/**
 * @internal
 * The Flusher's `flush` actor: take a batch from the buffer, write it with
 * the {@link Pusher}, give back what did not reach Redis. A failed write
 * rejects, so the machine backs off; the jobs are already back in the buffer.
 *
 * With a spool ({@link DurablePush}) the spool's records go first (they are
 * older than anything in memory), a batch per call; in `always` mode only
 * they do. A failing final flush (`stop()` while Redis is down) ends once
 * every waiting job is on disk: the next start pushes them.
 */
import type { TimestampFormat } from '../job/timestamp.js';
import { fromPromise } from 'xstate';
import type { FlushOutput } from '../../machines/flusher.js';
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

/** Build the `flush` actor logic for one Kiq instance. */
export function createFlushActor(
  buffer: JobBuffer,
  pool: ConnectionPool,
  clock: Clock,
  hooks: FlushHooks,
  timestamps: TimestampFormat = 'seconds',
  durable?: DurablePush,
) {
  const pusher = new Pusher(timestamps);
  let failing = false;
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
  return fromPromise<FlushOutput>(async () => {
    if (durable && failing && durable.stopping && durable.writable) {
      durable.spoolAll();
      if (buffer.size === 0) return { written: 0, remaining: 0 };
    }
    if (durable && !durable.pushesFromMemory) {
      // `always` mode: this call's group commit, then push what is durable
      durable.spoolAll();
      await durable.spool.synced();
    }
    if (durable?.spool.backlog) {
      let written: number;
      try {
        written = await durable.spool.replay(pool.next(), clock.realMs() / 1000);
      } catch (error) {
        return failed(error instanceof Error ? error : new Error(String(error)));
      }
      succeeded();
      return { written, remaining: remaining() };
    }
    if (durable && !durable.pushesFromMemory) return { written: 0, remaining: remaining() };
    const batch = buffer.take(FLUSH_BATCH);
    if (batch.length === 0) return { written: 0, remaining: remaining() };
    durable?.writing(true);
    const result = await pusher.push(pool.next(), batch, clock.realMs() / 1000).finally(() => durable?.writing(false));
    buffer.settle(batch, result.retry);
    if (result.refused.length > 0) hooks.onRefused(result.refused);
    if (result.error) return failed(result.error);
    succeeded();
    return { written: batch.length - result.refused.length, remaining: remaining() };
  });
}
