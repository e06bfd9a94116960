/**
 * @internal
 * Appends records to one segment. `write` is synchronous: when it returns
 * the bytes are in the kernel, so they survive a kill -9 of this process
 * (only a crash of the machine can lose them). One `fdatasync` then runs
 * in the background for every bytes written since the last one (group
 * commit); `durable` moves up when it returns, and only durable bytes are
 * ever replayed, so Redis never gets a job the spool could still lose.
 * A failed write (ENOSPC, EROFS) is truncated away: the segment never keeps
 * a partial record, and the caller keeps the jobs.
 */
import { closeSync, fdatasync, fdatasyncSync, ftruncateSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { fsyncDirSync } from './fsync-dir.js';
import { encodeHeader } from './header.js';

/** An open segment being appended to. */
export class SegmentWriter {
  readonly path: string;
  readonly #fd: number;
  readonly #onDurable: (durable: number) => void;
  readonly #onSyncError: (error: Error) => void;
  #end: number;
  #durable: number;
  #syncing = false;
  #closed = false;
  #waiters: { upTo: number; resolve: () => void }[] = [];

  private constructor(path: string, fd: number, size: number, onDurable: (durable: number) => void, onSyncError: (error: Error) => void) {
    this.path = path;
    this.#fd = fd;
    this.#end = size;
    this.#durable = size;
    this.#onDurable = onDurable;
    this.#onSyncError = onSyncError;
  }

  /**
   * Create the segment at `path` (it must not exist) with its header,
   * fsynced with its directory entry. `onDurable` hears each new durable size.
   */
  static create(path: string, onDurable: (durable: number) => void, onSyncError: (error: Error) => void): SegmentWriter {
    const fd = openSync(path, 'wx');
    const header = encodeHeader();
    try {
      writeAll(fd, header, 0);
      fdatasyncSync(fd);
      fsyncDirSync(dirname(path));
    } catch (error) {
      closeSync(fd);
      throw error;
    }
    return new SegmentWriter(path, fd, header.length, onDurable, onSyncError);
  }

  /** Bytes written (in the kernel), header included. */
  get end(): number {
    return this.#end;
  }

  /** Bytes known to be on the disk. */
  get durable(): number {
    return this.#durable;
  }

  /** Append `bytes` (whole records); throws the file-system error, the segment as before. */
  write(bytes: Buffer): void {
    const at = this.#end;
    try {
      writeAll(this.#fd, bytes, at);
    } catch (error) {
      try {
        ftruncateSync(this.#fd, at);
      } catch {
        // a reader stops at `durable`, so whatever stayed past `at` is never read
      }
      throw error;
    }
    this.#end = at + bytes.length;
    this.#sync();
  }

  /** Resolves once every byte written before this call is durable (or the segment closed). */
  synced(): Promise<void> {
    const upTo = this.#end;
    if (this.#durable >= upTo || this.#closed) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ upTo, resolve }));
  }

  /** fdatasync now and close (blocking: once per segment). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      fdatasyncSync(this.#fd);
      this.#advance(this.#end);
    } catch (error) {
      this.#onSyncError(error as Error);
    }
    closeSync(this.#fd);
    for (const waiter of this.#waiters.splice(0)) waiter.resolve();
  }

  #advance(durable: number): void {
    if (durable <= this.#durable) return;
    this.#durable = durable;
    this.#onDurable(durable);
    const still = this.#waiters.filter((waiter) => waiter.upTo > durable);
    for (const waiter of this.#waiters) if (waiter.upTo <= durable) waiter.resolve();
    this.#waiters = still;
  }

  #sync(): void {
    if (this.#syncing || this.#closed) return;
    this.#syncing = true;
    const upTo = this.#end;
    fdatasync(this.#fd, (error) => {
      this.#syncing = false;
      if (this.#closed) return;
      // a failed fdatasync: the bytes are in the kernel still; say so, and count them
      if (error) this.#onSyncError(error);
      this.#advance(upTo);
      if (this.#end > this.#durable) this.#sync();
    });
  }
}

function writeAll(fd: number, bytes: Buffer, at: number): void {
  let done = 0;
  while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done, at + done);
}
