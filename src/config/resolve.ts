/**
 * @internal
 * Building the config, in Kiq's order (docs/kiq-elixir.md §1.1):
 * 1. defaults (`defaults.ts`; `redisUrl` from `REDIS_URL`, a fresh `identity`);
 * 2. the constructor options, validated: `resolveConfig`, at `new Kiq()`;
 * 3. the async `init` hook's result over them: `applyInit`, at `start()`.
 */
import { KiqConfigError } from '../errors.js';
import { DEFAULT_REDIS_URL, DEFAULTS } from './defaults.js';
import { newIdentity } from './identity.js';
import type { KiqOptions, ResolvedConfig } from './options.js';
import { checkCombinations, checkRedisUrl, validateOptions } from './validate.js';

/** The environment variables the config reads: `REDIS_URL` and `DYNO`. */
export type Env = Readonly<Record<string, string | undefined>>;

/** `REDIS_URL` (an empty one counts as unset), else the local default. */
function defaultRedisUrl(env: Env): string {
  if (!env.REDIS_URL) return DEFAULT_REDIS_URL;
  return checkRedisUrl(env.REDIS_URL, 'redisUrl', 'a redis:// or rediss:// URL (taken from the REDIS_URL environment variable)');
}

/**
 * Layers the defaults and the given options into a frozen config. Throws a
 * `KiqConfigError` at the first bad option or unknown key. Does not run `init`.
 *
 * @example
 * const config = resolveConfig({ queues: { default: 10, mailers: 2 } }, { REDIS_URL: 'redis://cache:6379/1' });
 * config.poolSize; // 5
 * config.redisUrl; // 'redis://cache:6379/1'
 */
export function resolveConfig(options: KiqOptions = {}, env: Env = process.env): ResolvedConfig {
  const { init: _hook, ...given } = validateOptions(options);
  const config: ResolvedConfig = {
    ...DEFAULTS,
    inspect: undefined,
    ...given,
    identity: given.identity ?? newIdentity(env),
    redisUrl: given.redisUrl ?? defaultRedisUrl(env),
  };
  checkCombinations(config);
  return Object.freeze(config);
}

/**
 * Runs `options.init` (if any) with a copy of the constructor options and
 * resolves again with its result laid over them: a returned key wins, a key
 * returned as `undefined` falls back to its default, and a generated identity
 * stays the one `config` already has. A throwing hook rejects with its own
 * error; a result that is not an object rejects with a `KiqConfigError` on `init`.
 *
 * @example
 * const options: KiqOptions = { queues: { default: 5 }, init: async (o) => ({ ...o, poolSize: 2 }) };
 * const config = await applyInit(resolveConfig(options), options);
 * config.poolSize; // 2
 */
export async function applyInit(config: ResolvedConfig, options: KiqOptions, env: Env = process.env): Promise<ResolvedConfig> {
  if (options.init === undefined) return config;
  const result: unknown = await options.init({ ...options });
  if (typeof result !== 'object' || result === null || Array.isArray(result)) {
    throw new KiqConfigError('init', 'a function returning an options object', result);
  }
  const merged: KiqOptions = { ...options, ...result };
  return resolveConfig({ ...merged, identity: merged.identity ?? config.identity }, env);
}
