/**
 * @internal
 * The spool: jobs on local disk until Redis has them (issue 13,
 * docs/spool-format.md).
 *
 * 1. `open` takes the directory's lock and lists its segments.
 * 2. `write` appends buffer entries as records to the current segment, in
 *    one synchronous write (in the kernel when it returns: kill -9 proof);
 *    the segment writer fdatasyncs in the background, one per group, and
 *    only fsynced bytes are replayed. A segment past `segmentBytes` is
 *    closed and a new one started.
 * 3. `replay` pushes the oldest unpushed records of the oldest segment in
 *    one MULTI/EXEC that also SETs the segment's progress key in Redis to
 *    the offset after them; then it rewrites the local marker (fsynced).
 *    Before its first push into a segment it reads that key, so records
 *    Redis already has are skipped even if the process died between EXEC
 *    and the marker: jobs and progress reach Redis together or not at all.
 * 4. A segment pushed to its end is deleted (or kept as `.corrupt` when a
 *    damaged record was skipped), then its marker and its progress key.
 *
 * The writer's segment is removed only when nothing written is waiting for
 * its fdatasync, and writes are synchronous, so a removal never races one.
 */
import { mkdir, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { SpoolError } from '../../errors.js';
import type { TimestampFormat } from '../../job/timestamp.js';
import type { BufferEntry } from '../entry.js';
import { Pusher } from '../pusher.js';
import { fsyncDir } from './fsync-dir.js';
import { takeLock, type SpoolLock } from './lock.js';
import { markerPath, writeMarker } from './marker.js';
import { openSegments } from './open-segments.js';
import { encodeRecord } from './record.js';
import { readBatch } from './read-batch.js';
import type { ScanResult } from './scan.js';
import { RecentRecords } from './recent.js';
import type { Segment } from './segment.js';
import { progressKey, segmentName } from './segment-name.js';
import { SegmentWriter } from './segment-writer.js';

/** Records pushed per replay transaction read from disk (after a restart, or a long outage). */
export const REPLAY_BATCH = 1000;

/** Records pushed per transaction from the in-memory copy (`always` mode's hot path), as a memory flush. */
const RECENT_BATCH = 10_000;

/** Record bytes this process keeps in memory for its own replays (see recent.ts); at most `recentRecords` of them too. */
const RECENT_BYTES = 64 * 1024 * 1024;

/** A progress key outlives any outage the spool is sized for (30 days). */
const PROGRESS_TTL_SEC = 30 * 86_400;

/** Lock paths held by this process, so two instances on one dir are refused too. */
const HELD = new Set<string>();

/** How the spool is set up. */
export interface SpoolSettings {
  readonly dir: string;
  /** Start a new segment once the current one has this many bytes. */
  readonly segmentBytes: number;
  /** Keep the writer's segment once it is pushed (`always` mode: no file churn) instead of removing it. */
  readonly keepCurrent: boolean;
  /** Most records this process keeps in memory for its own replays (`bufferLimit`). */
  readonly recentRecords: number;
  /** How replayed immediate jobs get their `enqueued_at` (the `timestamps` option). */
  readonly timestamps: TimestampFormat;
}

/** What the spool tells its owner. */
export interface SpoolHooks {
  /** A problem that lost nothing else (damaged record, failed removal, a newer-format file). */
  report(error: SpoolError): void;
  /** Redis refused replayed jobs (e.g. WRONGTYPE); their records are consumed. */
  refused(refused: readonly { entry: BufferEntry; error: Error }[]): void;
  /** `count` records reached Redis. */
  replayed(count: number, segment: string): void;
  /** Written records became durable: there is something to replay. */
  durable(): void;
}

interface Waiter {
  readonly seq: number;
  readonly offset: number;
  readonly resolve: () => void;
}

/** The records of a spool directory, and the writer of its current segment. */
export class Spool {
  readonly dir: string;
  readonly #settings: SpoolSettings;
  readonly #hooks: SpoolHooks;
  readonly #lock: SpoolLock;
  readonly #segments: Segment[];
  readonly #pusher: Pusher;
  #writer: { segment: Segment; file: SegmentWriter } | undefined;
  #nextSeq: number;
  #waiters: Waiter[] = [];
  #closed = false;
  readonly #recent: RecentRecords;

  private constructor(settings: SpoolSettings, hooks: SpoolHooks, lock: SpoolLock, segments: Segment[]) {
    this.dir = settings.dir;
    this.#settings = settings;
    this.#hooks = hooks;
    this.#lock = lock;
    this.#segments = segments;
    this.#nextSeq = (segments.at(-1)?.seq ?? 0) + 1;
    this.#recent = new RecentRecords(RECENT_BYTES, settings.recentRecords);
    this.#pusher = new Pusher(settings.timestamps);
  }

  /**
   * Lock `settings.dir` (created if missing) and list its segments. Throws
   * `SpoolLockedError` when another live process holds it, or the
   * file-system error (EACCES, EROFS) when it cannot be locked.
   */
  static async open(settings: SpoolSettings, hooks: SpoolHooks): Promise<Spool> {
    await mkdir(settings.dir, { recursive: true });
    const lock = await takeLock(settings.dir, HELD);
    try {
      return new Spool(settings, hooks, lock, await openSegments(settings.dir, (error) => hooks.report(error)));
    } catch (error) {
      await lock.release();
      throw error;
    }
  }

  /** Bytes of every segment on disk (pushed parts included until the segment is removed). */
  get bytes(): number {
    let total = 0;
    for (const segment of this.#segments) total += segment.size;
    return total + (this.#writer ? this.#writer.file.end - this.#writer.segment.size : 0);
  }

  /** Segments on disk. */
  get segments(): number {
    return this.#segments.length;
  }

  /** Are there records Redis does not have yet (and that can be replayed)? */
  get backlog(): boolean {
    return this.#segments.some((s) => s.state === 'active' && s.pushed < s.size);
  }

  /**
   * Append `entries` in one write; when it returns they survive a kill -9,
   * and an fdatasync is under way. Throws the file-system error (ENOSPC,
   * EROFS), the segment unchanged.
   */
  write(entries: readonly BufferEntry[], nowMs: number): void {
    if (entries.length === 0) return;
    if (this.#closed) throw new Error('spool is closed');
    if (!this.#writer || this.#writer.file.end >= this.#settings.segmentBytes) this.#rotate();
    const { segment, file } = this.#writer!;
    if (!this.#recent.on && this.#caughtUp()) this.#recent.resume();
    const records = entries.map((entry) => encodeRecord(entry, nowMs));
    let offset = file.end;
    const offsets: number[] = [];
    const ends: number[] = [];
    for (const record of records) {
      offsets.push(offset);
      offset += record.length;
      ends.push(offset);
    }
    file.write(records.length === 1 ? records[0]! : Buffer.concat(records));
    entries.forEach((entry, i) => {
      if (entry.confirm) segment.confirms.set(offsets[i]!, entry.confirm);
    });
    this.#recent.add(segment, entries, offsets, ends);
  }

  /**
   * Push the next batch of records to Redis. Resolves with how many reached
   * it; rejects with the connection error (nothing counted as pushed).
   */
  async replay(redis: Redis, nowSec: number): Promise<number> {
    const segment = this.#segments.find((s) => s.state === 'active' && s.pushed < s.size);
    if (!segment) return 0;
    const key = progressKey(segment.name);
    if (!segment.checked) {
      const inRedis = Number((await redis.get(key)) ?? 0);
      segment.pushed = Math.max(segment.pushed, Number.isFinite(inRedis) ? inRedis : 0);
      segment.checked = true;
    }
    const end = segment.size;
    const recent = this.#recent.take(segment, RECENT_BATCH);
    let batch: ScanResult;
    try {
      batch = recent ? { records: [], damage: [], next: recent.next } : await readBatch(segment.path, segment.pushed, end, REPLAY_BATCH);
    } catch (error) {
      // a segment that cannot be read (removed or replaced behind our back) must not block the others
      segment.state = 'blocked';
      this.#hooks.report(new SpoolError(segment.path, `cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)}); skipped, left in place`, { cause: error }));
      this.#release();
      return 0;
    }
    const entries: BufferEntry[] = recent?.entries ?? batch.records.map(({ offset, record }) => ({
      seq: 0,
      jid: record.jid,
      queue: record.queue,
      json: record.json,
      atSec: record.atSec,
      lockKey: record.lockKey,
      lockTtlMs: record.lockTtlMs,
      confirm: segment.confirms.get(offset),
      arrivedMs: 0,
    }));
    const progress = { key, value: String(batch.next), ttlSec: PROGRESS_TTL_SEC };
    if (entries.length > 0) {
      const result = await this.#pusher.push(redis, entries, nowSec, progress);
      if (result.error) {
        // the EXEC may or may not have run: read the progress key again first
        segment.checked = false;
        throw result.error;
      }
      if (result.refused.length > 0) this.#hooks.refused(result.refused);
    } else if (batch.next > segment.pushed) {
      await redis.set(progress.key, progress.value, 'EX', progress.ttlSec);
    }
    if (recent) this.#recent.drop(recent.entries.length);
    for (const offset of recent?.offsets ?? batch.records.map((r) => r.offset)) segment.confirms.delete(offset);
    for (const damage of batch.damage) {
      if (damage.kind === 'corrupt') segment.damaged = true;
      this.#hooks.report(
        new SpoolError(
          segment.path,
          damage.kind === 'torn'
            ? `torn last record at offset ${damage.offset} (${damage.bytes} bytes; the process died while writing it): skipped`
            : `corrupt record at offset ${damage.offset} (${damage.bytes} bytes fail their checksum or framing): skipped; the file is kept as ${segment.name}.corrupt`,
        ),
      );
    }
    // Redis has them: counted and told at once (a flush() may resolve during the marker's fsync)
    segment.pushed = batch.next;
    if (entries.length > 0) this.#hooks.replayed(entries.length, segment.name);
    await writeMarker(markerPath(segment.path), batch.next).catch((error: unknown) => {
      // Redis's progress key already holds this offset: nothing is pushed twice
      this.#hooks.report(new SpoolError(markerPath(segment.path), `marker not written (${String(error)})`, { cause: error }));
    });
    if (segment.pushed >= segment.size) await this.#remove(segment, redis);
    this.#release();
    return entries.length;
  }

  /** Resolves once every record written before this call is durable (and so replayable). */
  synced(): Promise<void> {
    return this.#writer?.file.synced() ?? Promise.resolve();
  }

  /** Resolves once every record appended before this call is in Redis (or was skipped as damaged). */
  drained(): Promise<void> {
    const last = this.#segments.at(-1);
    if (!last) return Promise.resolve();
    // written, not only fsynced: a record still waiting for its fdatasync is replayed after it
    const offset = this.#writer?.segment === last ? this.#writer.file.end : last.size;
    if (this.#drainedUpTo(last.seq, offset)) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ seq: last.seq, offset, resolve }));
  }

  /** Close the current segment (fdatasynced) and give up the lock; the records stay for the next start. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#writer?.file.close();
    this.#writer = undefined;
    await this.#lock.release();
  }

  /** Redis has every record written, and none waits for its fdatasync. */
  #caughtUp(): boolean {
    return !this.backlog && (!this.#writer || this.#writer.file.end === this.#writer.segment.size);
  }

  #drainedUpTo(seq: number, offset: number): boolean {
    return this.#segments.every((s) => s.state !== 'active' || s.seq > seq || s.pushed >= (s.seq === seq ? offset : s.size));
  }

  #release(): void {
    if (this.#waiters.length === 0) return;
    const still: Waiter[] = [];
    for (const waiter of this.#waiters) {
      if (this.#drainedUpTo(waiter.seq, waiter.offset)) waiter.resolve();
      else still.push(waiter);
    }
    this.#waiters = still;
  }

  #rotate(): void {
    this.#writer?.file.close();
    this.#writer = undefined;
    const seq = this.#nextSeq++;
    const name = segmentName(seq);
    const path = join(this.dir, name);
    const segment: Segment = { name, path, seq, size: 0, pushed: 0, checked: true, state: 'active', damaged: false, confirms: new Map() };
    const file = SegmentWriter.create(
      path,
      (durable) => {
        segment.size = durable;
        this.#hooks.durable();
      },
      (error) => this.#hooks.report(new SpoolError(path, `fdatasync failed (${String(error)}): the records are written but may not survive a power loss`, { cause: error })),
    );
    segment.size = file.durable;
    segment.pushed = file.durable;
    this.#segments.push(segment);
    this.#writer = { segment, file };
  }

  /** Remove a segment Redis has in full, unless it is the writer's and is kept (or grew meanwhile). */
  async #remove(segment: Segment, redis: Redis): Promise<void> {
    if (segment.pushed < segment.size) return;
    if (this.#writer?.segment === segment) {
      // bytes still waiting for their fdatasync, or a segment kept for more writes
      if (this.#writer.file.end > segment.size) return;
      if (this.#settings.keepCurrent && segment.size < this.#settings.segmentBytes) return;
      this.#writer.file.close();
      this.#writer = undefined;
    }
    try {
      if (segment.damaged) await rename(segment.path, `${segment.path}.corrupt`);
      else await unlink(segment.path);
      await unlink(markerPath(segment.path)).catch(() => undefined);
      await fsyncDir(this.dir);
    } catch (error) {
      segment.state = 'done';
      this.#hooks.report(new SpoolError(segment.path, `pushed in full but not removed (${String(error)}); it is skipped by its progress key`, { cause: error }));
      return;
    }
    this.#segments.splice(this.#segments.indexOf(segment), 1);
    await redis.del(progressKey(segment.name)).catch(() => undefined);
  }
}
