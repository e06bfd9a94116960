/**
 * @internal
 * fsync of a directory, so a created, renamed or removed file's name is as
 * durable as its contents (POSIX leaves the entry in the page cache
 * otherwise). Best effort: some file systems refuse it (EISDIR/EINVAL).
 */
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
