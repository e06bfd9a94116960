/**
 * @internal
 * TypeScript worker modules for `kiq work -r ./workers.ts`: Node cannot
 * import `.ts` by itself (`ERR_UNKNOWN_FILE_EXTENSION` on Node 20), so the
 * first `.ts` module registers the app's own tsx (`tsx/esm/api` `register()`,
 * resolved from the working directory: the app's version, its tsconfig) as a
 * module loader for the rest of the process. Kiq does not depend on tsx; an
 * app without it gets one line saying what to do, unless Node strips types
 * itself (then Node's own rules apply: no enums, `.ts` in import paths).
 */
import { createRequire } from 'node:module';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CliError } from './command.js';

/** Module paths that need a TypeScript loader. */
const TYPESCRIPT = /\.(?:[cm]?ts|tsx)$/;

/** How the app can load TypeScript modules, for messages. */
export const TYPESCRIPT_HINT = 'install tsx in the app (npm install --save-dev tsx) or compile to .js and pass the .js file';

let registered: Promise<void> | undefined;

/** Whether `path` is a TypeScript module. */
export function isTypeScript(path: string): boolean {
  return TYPESCRIPT.test(path);
}

/**
 * Make `import()` of TypeScript modules work in this process, once: register
 * the tsx that `cwd` resolves. Throws a {@link CliError} naming `spec` when
 * the app has no tsx.
 */
export function registerTypeScript(spec: string, cwd: string): Promise<void> {
  registered ??= register(cwd);
  return registered.catch((error: unknown) => {
    registered = undefined;
    const why = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new CliError(`cannot load worker module '${spec}': it is TypeScript and ${why}: ${TYPESCRIPT_HINT}`, undefined, { cause: error });
  });
}

async function register(cwd: string): Promise<void> {
  let manifest: string;
  try {
    manifest = createRequire(join(cwd, 'package.json')).resolve('tsx/package.json');
  } catch {
    // a Node that strips types itself (22.18+, 23.6+) imports .ts without tsx
    if (nodeStripsTypes()) return;
    throw new Error(`tsx cannot be found from ${cwd}`);
  }
  // the ESM entry of `tsx/esm/api`, as `import` would resolve it from the app
  // (require.resolve gives its CommonJS twin, whose register() fails when imported)
  const exported = (JSON.parse(await readFile(manifest, 'utf8')) as { exports?: Record<string, unknown> }).exports?.['./esm/api'];
  const entry = (exported as { import?: { default?: unknown } | string } | undefined)?.import;
  const file = typeof entry === 'string' ? entry : entry?.default;
  if (typeof file !== 'string') throw new Error(`the tsx at ${dirname(manifest)} has no ESM 'tsx/esm/api' (tsx >= 4 needed)`);
  const { register: start } = (await import(pathToFileURL(join(dirname(manifest), file)).href)) as { register?: () => unknown };
  if (typeof start !== 'function') throw new Error(`the tsx at ${dirname(manifest)} has no register() (tsx >= 4 needed)`);
  start();
}

/** Whether this Node imports `.ts` by itself (`process.features.typescript`, Node 22.10+; absent on Node 20). */
function nodeStripsTypes(): boolean {
  const typescript = (process.features as { typescript?: unknown }).typescript;
  return typeof typescript === 'string' && typescript !== '';
}
