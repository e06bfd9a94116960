/**
 * @internal
 * How an app runs the tests `kiq gen` writes: mocha, with tsx loading the
 * TypeScript (Node cannot import `.ts` by itself), and NODE_ENV=test so a
 * generated setup module builds a sandboxed client. `kiq gen` prints these
 * lines; each generated test repeats them in its header.
 */

/** The dev dependencies the generated tests need. */
export const TEST_INSTALL = 'npm install --save-dev mocha @types/mocha tsx';

/** The command that runs the test file(s) at `paths` (relative to the app's root). */
export function testCommand(paths: readonly string[]): string {
  return `NODE_ENV=test npx mocha -n import=tsx ${paths.map(shellWord).join(' ')}`;
}

/** The header lines of a generated test: how to run it. */
export function testHeader(): string {
  return ` * Run it from the app's root (once: ${TEST_INSTALL}):\n *   ${testCommand(['<path of this file>'])}`;
}

/** A path as one POSIX shell word: quoted only when it needs to be. */
function shellWord(path: string): string {
  return /^[\w./:@-]+$/.test(path) ? path : `'${path.replaceAll("'", "'\\''")}'`;
}
