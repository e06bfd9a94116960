/**
 * @internal
 * The spool directory's lock: `kiq.lock` holds the pid of the process that
 * owns the spool. It is taken with `link(2)` of a private file, which fails
 * if the lock exists (atomic on every local file system, unlike a
 * check-then-create). A lock whose pid is not alive (the owner was killed)
 * is stale and taken over; a live one makes `start()` fail with
 * {@link SpoolLockedError}.
 */
import { randomBytes } from 'node:crypto';
import { link, readFile, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SpoolLockedError } from '../../errors.js';

/** File name of the lock in the spool directory. */
export const LOCK_FILE = 'kiq.lock';

function alive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, owned by another user
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function holder(path: string): Promise<number | undefined> {
  try {
    return Number.parseInt(await readFile(path, 'utf8'), 10);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** A held lock; {@link release} gives it up. */
export interface SpoolLock {
  release(): Promise<void>;
}

/**
 * Take `dir`'s lock for this process. `owned`: lock paths this process
 * already holds (a second Kiq instance on the same dir is refused too).
 * Throws {@link SpoolLockedError}, or the file-system error (EACCES, EROFS).
 */
export async function takeLock(dir: string, owned: Set<string>): Promise<SpoolLock> {
  const path = join(dir, LOCK_FILE);
  if (owned.has(path)) throw new SpoolLockedError(dir, process.pid);
  const mine = join(dir, `${LOCK_FILE}.${process.pid}.${randomBytes(4).toString('hex')}`);
  await writeFile(mine, `${process.pid}\n`, { flush: true });
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        await link(mine, path);
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw error;
        const pid = await holder(path);
        if (pid !== undefined && pid !== process.pid && alive(pid)) throw new SpoolLockedError(dir, pid);
        // stale: its owner is gone (kill -9 leaves the file behind)
        await unlink(path).catch(() => undefined);
      }
    }
  } finally {
    await unlink(mine).catch(() => undefined);
  }
  owned.add(path);
  return {
    async release() {
      owned.delete(path);
      if ((await holder(path).catch(() => undefined)) === process.pid) await unlink(path).catch(() => undefined);
    },
  };
}
