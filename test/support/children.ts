/** Cleaning up the child processes a test forked or spawned. */
import type { ChildProcess } from 'node:child_process';

/**
 * SIGKILL (by pid) every child in `children` that has not exited yet, wait
 * for each to exit, and empty the array, for an `afterEach`.
 */
export async function killChildren(children: ChildProcess[]): Promise<void> {
  for (const child of children.splice(0)) {
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      process.kill(child.pid, 'SIGKILL');
      await exited;
    }
  }
}
