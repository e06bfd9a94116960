/**
 * @internal
 * fsync of a directory, so a created, renamed or removed file's name is as
 * durable as its contents (POSIX leaves the entry in the page cache
 * otherwise). Best effort: some file systems refuse it (EISDIR/EINVAL).
 */
import { closeSync, openSync, fsyncSync } from 'node:fs';
import { open } from 'node:fs/promises';

/** Make `dir`'s entries durable. */
export async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync().catch(() => undefined);
  } finally {
    await handle.close();
  }
}

/** {@link fsyncDir}, blocking (segment creation, once per segment). */
export function fsyncDirSync(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } catch {
    // refused by this file system: nothing more to do
  } finally {
    closeSync(fd);
  }
}
