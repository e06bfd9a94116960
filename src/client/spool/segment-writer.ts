/**
 * @internal
 * Appends group commits to one segment: one `write` and one `fdatasync` per
 * group. The write returns once the bytes are in the kernel (they survive a
 * kill -9 from then on); the fdatasync makes them survive a power loss. A
 * failed write (ENOSPC) is truncated away, so the segment never keeps a
 * half group, and the caller keeps the jobs.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fsyncDir } from './fsync-dir.js';
import { HEADER_BYTES, encodeHeader } from './header.js';

/** An open segment being appended to. */
export class SegmentWriter {
  readonly path: string;
  readonly #file: FileHandle;
  #size: number;

  private constructor(path: string, file: FileHandle, size: number) {
    this.path = path;
    this.#file = file;
    this.#size = size;
  }

  /** Create the segment at `path` (it must not exist) with its header, durably. */
  static async create(path: string): Promise<SegmentWriter> {
    const file = await open(path, 'wx');
    try {
      await file.write(encodeHeader(), 0, HEADER_BYTES, 0);
      await file.datasync();
      await fsyncDir(dirname(path));
    } catch (error) {
      await file.close();
      throw error;
    }
    return new SegmentWriter(path, file, HEADER_BYTES);
  }

  /** Bytes in the segment, header included. */
  get size(): number {
    return this.#size;
  }

  /** Append `bytes` (whole records) and fdatasync; on failure the segment is as before. */
  async append(bytes: Buffer): Promise<void> {
    const at = this.#size;
    try {
      let done = 0;
      while (done < bytes.length) {
        const { bytesWritten } = await this.#file.write(bytes, done, bytes.length - done, at + done);
        done += bytesWritten;
      }
      await this.#file.datasync();
    } catch (error) {
      await this.#file.truncate(at).catch(() => undefined);
      throw error;
    }
    this.#size = at + bytes.length;
  }

  /** Close the file. */
  async close(): Promise<void> {
    await this.#file.close();
  }
}
