/**
 * @internal
 * Opening the spool at `start()` and wiring what it reports to Kiq's log
 * lines and events. A directory that cannot be used (read-only, no
 * permission) is logged and reported, and Kiq runs as without a spool
 * (jobs in memory, bounded by `bufferLimit`): refusing to start would turn a
 * disk problem into an outage, or a crash loop under a supervisor. Only a
 * lock held by another live process fails the start (`SpoolLockedError`):
 * two processes on one spool is a deployment error to fix, not to run with.
 */
import type { Clock } from '../../clock.js';
import type { ResolvedSpool } from '../../config/options.js';
import { SpoolError, SpoolLockedError, UnflushedJobsError } from '../../errors.js';
import type { KiqEmitter } from '../../events.js';
import type { TimestampFormat } from '../../job/timestamp.js';
import type { JobBuffer } from '../buffer.js';
import { DurablePush } from './durable-push.js';
import { Spool } from './spool.js';

/** What the spool needs from its Kiq instance. */
export interface SpoolWiring {
  readonly buffer: JobBuffer;
  readonly clock: Clock;
  readonly events: KiqEmitter;
  /** The `timestamps` option: how replayed jobs get `enqueued_at`. */
  readonly timestamps: TimestampFormat;
  log(level: 'info' | 'warn' | 'error', fields: Record<string, unknown>): void;
  /** Tell the Flusher that jobs wait (in the spool, or back in memory). */
  wake(): void;
}

/** Counts since the last outage, for the `enqueueing_restored` and `spool_replayed` lines. */
export interface SpoolCounts {
  spooled: number;
  replayed: number;
}

/** Open the spool of `settings`; `undefined` when its directory cannot be used (logged). */
export async function openDurablePush(settings: ResolvedSpool, wiring: SpoolWiring, counts: SpoolCounts): Promise<DurablePush | undefined> {
  const { events, log } = wiring;
  const report = (error: SpoolError) => {
    log('error', { event: 'spool_error', path: error.path, error: error.message });
    events.emit('error', error);
  };
  let spool: Spool;
  try {
    spool = await Spool.open(
      { dir: settings.dir, segmentBytes: settings.segmentBytes, keepCurrent: settings.mode === 'always', recentRecords: wiring.buffer.limit, timestamps: wiring.timestamps },
      {
        report,
        refused: (refused) => {
          for (const { entry, error } of refused) events.emit('error', new UnflushedJobsError([entry.json], { cause: error }));
        },
        durable: () => wiring.wake(),
        replayed: (count, segment) => {
          counts.replayed += count;
          events.emit('push.replayed', { count, segment });
          if (!spool.backlog) {
            log('info', { event: 'spool_replayed', jobs: counts.replayed });
            counts.replayed = 0;
          }
        },
      },
    );
  } catch (error) {
    if (error instanceof SpoolLockedError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    report(new SpoolError(settings.dir, `cannot be used (${code ?? String(error)}); running without a spool: jobs wait in memory only`, { cause: error }));
    return undefined;
  }
  log('info', { event: 'spool_opened', dir: settings.dir, mode: settings.mode, segments: spool.segments, bytes: spool.bytes, backlog: spool.backlog });
  return new DurablePush(spool, wiring.buffer, wiring.clock, settings, {
    spooled: (count) => {
      counts.spooled += count;
      events.emit('push.spooled', { count, bytes: spool.bytes });
    },
    failed: (error, count) => {
      const code = (error as NodeJS.ErrnoException).code;
      log('error', { event: 'spool_write_failed', dir: settings.dir, error: error.message, ...(code ? { code } : {}), in_memory: count });
      events.emit('error', new SpoolError(settings.dir, `write failed (${code ?? error.message}); the jobs stay in memory (bufferLimit applies)`, { cause: error }));
    },
    recovered: () => log('info', { event: 'spool_write_restored', dir: settings.dir }),
    wake: wiring.wake,
  });
}
