/**
 * @internal
 * The Flusher's `flush` actor: take a batch from the buffer, write it with
 * the {@link Pusher}, give back what did not reach Redis. A failed write
 * rejects, so the machine backs off; the jobs are already back in the buffer.
 */
import type { TimestampFormat } from '../job/timestamp.js';
import { fromPromise } from 'xstate';
import type { FlushOutput } from '../../machines/flusher.js';
import type { Clock } from '../clock.js';
import type { ConnectionPool } from '../redis/connections.js';
import type { JobBuffer } from './buffer.js';
import type { BufferEntry } from './entry.js';
import { Pusher } from './pusher.js';

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
export function createFlushActor(buffer: JobBuffer, pool: ConnectionPool, clock: Clock, hooks: FlushHooks, timestamps: TimestampFormat = 'seconds') {
  const pusher = new Pusher(timestamps);
  let failing = false;
  return fromPromise<FlushOutput>(async () => {
    const batch = buffer.take(FLUSH_BATCH);
    if (batch.length === 0) return { written: 0, remaining: buffer.pending };
    const result = await pusher.push(pool.next(), batch, clock.realMs() / 1000);
    buffer.settle(batch, result.retry);
    if (result.refused.length > 0) hooks.onRefused(result.refused);
    if (result.error) {
      if (!failing) hooks.onOutage(result.error, buffer.size);
      failing = true;
      throw result.error;
    }
    if (failing) hooks.onRestored();
    failing = false;
    return { written: batch.length - result.refused.length, remaining: buffer.pending };
  });
}
