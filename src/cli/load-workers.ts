/**
 * @internal
 * Loading the worker modules of `kiq work -r <module>`: ES modules and
 * CommonJS alike through `import()` (a CommonJS `module.exports` arrives as
 * the `default` export), TypeScript through the app's tsx (./typescript.ts),
 * paths relative to the working directory.
 *
 * What a module may export:
 * - workers: any export that is an object with a string `class` and a
 *   `perform` function (`export const Mailer = defineWorker(...)`);
 * - arrays or plain objects of workers (`export const workers = [...]`,
 *   `export default [A, B]`, `module.exports = { A, B }`);
 * - `options` (or `kiq`): a `KiqOptions` object (`queues`, `workers`,
 *   `periodics`, `redisUrl`, ...). Options of several modules are merged,
 *   later modules winning; their `workers` join the others.
 */
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { KiqOptions } from '../config/options.js';
import type { Worker } from '../worker.js';
import { CliError, UsageError } from './command.js';
import { isTypeScript, registerTypeScript, TYPESCRIPT_HINT } from './typescript.js';

/** What the modules provided. */
export interface LoadedModules {
  /** Every worker found, once each, in discovery order. */
  readonly workers: Worker[];
  /** The merged `options` exports (without `workers`, which are in {@link workers}). */
  readonly options: KiqOptions;
  /** Which module each worker came from, for messages. */
  readonly origins: ReadonlyMap<Worker, string>;
}

/** An object with a string `class` and a `perform` function. */
export function isWorker(value: unknown): value is Worker {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { class?: unknown }).class === 'string' &&
    typeof (value as { perform?: unknown }).perform === 'function'
  );
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

const OPTION_NAMES = new Set(['options', 'kiq']);

/**
 * Import every module and collect its workers and options (`command`
 * names the usage errors' command). Throws a
 * {@link UsageError} for a missing file, a bad `options` export or two
 * different workers of one class, a {@link CliError} when a module throws
 * while loading.
 */
export async function loadWorkerModules(specs: readonly string[], cwd: string, command = 'work'): Promise<LoadedModules> {
  const workers: Worker[] = [];
  const origins = new Map<Worker, string>();
  const byClass = new Map<string, Worker>();
  let options: KiqOptions = {};
  const { Kiq } = await import('../kiq.js');

  for (const spec of specs) {
    const path = resolve(cwd, spec);
    if (!existsSync(path) || !statSync(path).isFile()) throw new UsageError(`cannot find worker module '${spec}' (looked for ${path})`, command);
    if (isTypeScript(path)) await registerTypeScript(spec, cwd);
    let namespace: Record<string, unknown>;
    try {
      namespace = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
    } catch (error) {
      const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
      // a .ts file imported by a .js module, say: the same advice as for -r ./x.ts
      const hint = (error as { code?: unknown }).code === 'ERR_UNKNOWN_FILE_EXTENSION' ? ` (${TYPESCRIPT_HINT})` : '';
      throw new CliError(`cannot load worker module '${spec}': ${message}${hint}`, undefined, { cause: error });
    }

    const add = (value: unknown): void => {
      if (!isWorker(value) || origins.has(value)) return;
      const other = byClass.get(value.class);
      if (other) throw new UsageError(`two workers of class '${value.class}' (in ${origins.get(other)} and ${spec})`, command);
      byClass.set(value.class, value);
      origins.set(value, spec);
      workers.push(value);
    };
    const addOptions = (name: string, value: unknown): void => {
      if (value instanceof Kiq) {
        throw new UsageError(`${spec}: export '${name}' is a Kiq instance; export its options instead (export const options = { queues, workers })`, command);
      }
      if (!isPlainObject(value)) throw new UsageError(`${spec}: export '${name}' must be a Kiq options object`, command);
      const { workers: optionWorkers, ...rest } = value as KiqOptions;
      if (optionWorkers !== undefined) {
        if (!Array.isArray(optionWorkers)) throw new UsageError(`${spec}: ${name}.workers must be an array of workers`, command);
        optionWorkers.forEach(add);
      }
      options = { ...options, ...rest };
    };
    const collect = (name: string, value: unknown, nested: boolean): void => {
      if (isWorker(value)) add(value);
      else if (OPTION_NAMES.has(name)) addOptions(name, value);
      else if (Array.isArray(value)) value.forEach(add);
      else if (!nested && isPlainObject(value)) {
        // export default { ... } / module.exports = { ... }: one level down
        for (const [key, inner] of Object.entries(value)) collect(key, inner, true);
      }
    };
    for (const [name, value] of Object.entries(namespace)) collect(name, value, name !== 'default');
  }
  return { workers, options, origins };
}
