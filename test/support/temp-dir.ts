/** Scratch directories for tests that write files (spools, recordings, certificates). */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A fresh directory under the OS temp dir, named `<prefix><random>`, made
 * before each test (`each`) or once for the describe block (`all`) and
 * removed with its contents after it; the returned function gives its path.
 * Call it after the hooks that must end first what writes there (a child
 * process, a Kiq with a spool): mocha runs `after` hooks in the order
 * registered.
 */
export function useTempDir(prefix: string, scope: 'each' | 'all' = 'each'): () => string {
  let dir: string | undefined;
  const make = async () => {
    dir = await mkdtemp(join(tmpdir(), prefix));
  };
  const remove = async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
    dir = undefined;
  };
  if (scope === 'each') {
    beforeEach(make);
    afterEach(remove);
  } else {
    before(make);
    after(remove);
  }
  return () => {
    if (!dir) throw new Error(`useTempDir(${prefix}): no directory outside ${scope === 'each' ? 'a test' : 'the block'}`);
    return dir;
  };
}
