/**
 * @internal
 * Reliable push with a spool (issue 13): decides when buffered jobs go to
 * disk, and gives the Flusher the spool's records to push first.
 *
 * - `outage` mode: nothing touches the disk while Redis takes the writes.
 *   When a write fails, the pump moves every waiting job from memory to the
 *   spool; while the outage lasts, `enqueue` writes its job to the spool
 *   before it returns (`accept`), so an accepted job survives a kill -9 at
 *   any moment after. A write in flight longer than `after` ms (Redis
 *   hangs) sends the jobs waiting behind it to the spool too.
 * - `always` mode: every job goes to the spool before it is pushed (the
 *   pump writes each tick's jobs in one group); the Flusher pushes only
 *   from the spool, and only what is fsynced (a write-ahead log).
 *
 * A group the spool cannot take (ENOSPC, EROFS, `maxBytes`) goes back to
 * memory, where `bufferLimit` bounds it and the Flusher pushes it as
 * without a spool; the pump tries the disk again after `RETRY_MS`.
 */
import type { Clock } from '../../clock.js';
import type { JobBuffer } from '../buffer.js';
import type { BufferEntry } from '../entry.js';
import type { Spool } from './spool.js';

/** Most jobs per group commit. */
const GROUP_MAX = 10_000;

/** Wait before the disk is tried again after a failed group, ms. */
const RETRY_MS = 1_000;

/** How the pump reports. */
export interface PumpHooks {
  /** A group of `count` jobs is on disk. */
  spooled(count: number): void;
  /** A group could not be written; its jobs are back in memory. Called once per failing streak. */
  failed(error: Error, count: number): void;
  /** The disk takes groups again after a failure. */
  recovered(): void;
  /** Jobs wait that the Flusher should push: back in memory after a failed write. */
  wake(): void;
}

/** Settings of {@link DurablePush}. */
export interface DurablePushSettings {
  readonly mode: 'outage' | 'always';
  /** A write in flight for longer than this sends the waiting jobs to disk, ms. */
  readonly after: number;
  readonly maxBytes: number;
}

/** The spool side of the Flusher. */
export class DurablePush {
  readonly spool: Spool;
  readonly #buffer: JobBuffer;
  readonly #clock: Clock;
  readonly #settings: DurablePushSettings;
  readonly #hooks: PumpHooks;
  #outage = false;
  #pumpQueued = false;
  #diskFailing = false;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #watch: ReturnType<typeof setInterval> | undefined;
  #writeSince: number | undefined;
  #closed = false;
  /** `stop()` began: a failing final flush may end once everything is on disk. */
  stopping = false;

  constructor(spool: Spool, buffer: JobBuffer, clock: Clock, settings: DurablePushSettings, hooks: PumpHooks) {
    this.spool = spool;
    this.#buffer = buffer;
    this.#clock = clock;
    this.#settings = settings;
    this.#hooks = hooks;
    if (settings.mode === 'outage') {
      this.#watch = setInterval(() => this.#checkHung(), settings.after);
      this.#watch.unref();
    }
  }

  /** Does the Flusher push jobs from memory? Not in `always` mode unless the disk fails. */
  get pushesFromMemory(): boolean {
    return this.#settings.mode === 'outage' || this.#diskFailing;
  }

  /** Is the spool past `maxBytes` (enqueue rejects)? */
  get full(): boolean {
    return this.spool.bytes >= this.#settings.maxBytes;
  }

  /** Can the pump take jobs now (the disk did not fail last time)? */
  get writable(): boolean {
    return !this.#diskFailing && !this.full && !this.#closed;
  }

  /** A job arrived in an empty buffer. */
  enqueued(): void {
    if (this.#settings.mode === 'always' || this.#outage) this.nudge();
  }

  /** The Flusher's writes fail (`true`) or succeed again (`false`). */
  outage(failing: boolean): void {
    this.#outage = failing;
    if (failing) this.nudge();
  }

  /** A Flusher write of jobs from memory starts (`true`) or ends. */
  writing(inFlight: boolean): void {
    this.#writeSince = inFlight ? this.#clock.monoMs() : undefined;
  }

  /**
   * During an outage (`outage` mode), write the job `make` builds to the
   * spool now, after whatever waits in memory; `false` when it is for the
   * buffer instead (no outage, `always` mode, or the disk failed).
   */
  accept(make: (seq: number) => BufferEntry): boolean {
    if (this.#settings.mode !== 'outage' || !this.#outage || !this.writable || this.#retryTimer) return false;
    this.#pump();
    if (this.#diskFailing) return false;
    const entry = make(-1);
    try {
      this.spool.write([entry], this.#clock.realMs());
    } catch (error) {
      this.#failed(error instanceof Error ? error : new Error(String(error)), 1);
      return false;
    }
    this.#hooks.spooled(1);
    return true;
  }

  /** Spool the waiting jobs at the next turn of the event loop (one group for the tick's jobs). */
  nudge(): void {
    if (this.#closed || this.#retryTimer || this.#pumpQueued) return;
    this.#pumpQueued = true;
    setImmediate(() => {
      this.#pumpQueued = false;
      if (!this.#closed) this.#pump();
    });
  }

  /** Spool every waiting job now (stop). */
  spoolAll(): void {
    if (this.#retryTimer) {
      clearTimeout(this.#retryTimer);
      this.#retryTimer = undefined;
    }
    this.#pump();
  }

  /** Stop the timers; the spool itself is closed by its owner. */
  close(): void {
    this.#closed = true;
    if (this.#watch) clearInterval(this.#watch);
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
  }

  #checkHung(): void {
    if (this.#writeSince !== undefined && this.#clock.monoMs() - this.#writeSince >= this.#settings.after && this.#buffer.pending > 0) this.nudge();
  }

  /** Move every job waiting in memory to the spool, a group per write. */
  #pump(): void {
    while (this.#buffer.pending > 0) {
      if (this.full) return this.#failed(new Error(`spool.maxBytes reached (${this.spool.bytes} bytes on disk)`), this.#buffer.pending);
      const batch = this.#buffer.take(GROUP_MAX);
      try {
        this.spool.write(batch, this.#clock.realMs());
      } catch (error) {
        this.#buffer.settle(batch, batch);
        return this.#failed(error instanceof Error ? error : new Error(String(error)), batch.length);
      }
      this.#buffer.settle(batch, []);
      if (this.#diskFailing) {
        this.#diskFailing = false;
        this.#hooks.recovered();
      }
      this.#hooks.spooled(batch.length);
    }
  }

  #failed(error: Error, count: number): void {
    if (!this.#diskFailing) this.#hooks.failed(error, count);
    this.#diskFailing = true;
    // the jobs are in memory: the Flusher pushes them (also in `always` mode)
    this.#hooks.wake();
    if (this.#closed) return;
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      this.nudge();
    }, RETRY_MS);
    this.#retryTimer.unref();
  }
}
