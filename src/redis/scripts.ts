/**
 * @internal
 * Lua scripts: one `.lua` file per script in `scripts/`, each opening with a
 * contract header that lists every `KEYS[i]` and `ARGV[i]`. The header is the
 * one source of the key count. Direct calls go through `callScript`
 * (src/redis/call.ts: EVALSHA with the SHA computed here, EVAL on NOSCRIPT);
 * pipelines through `runScript`, over the scripts `defineScripts` registers
 * with ioredis `defineCommand`, which falls back the same way. Either way a
 * Redis restart or SCRIPT FLUSH never loses a call (Kiq's fire-and-forget
 * EVALSHA did, docs/kiq-elixir.md bug 3).
 */
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ChainableCommander, Redis } from 'ioredis';

/** Names of the scripts shipped in `scripts/` (file name without `.lua`). */
export type ScriptName =
  | 'ack-jobs'
  | 'enqueue-entry'
  | 'fetch-jobs'
  | 'kill-entry'
  | 'kill-job'
  | 'poll-due'
  | 'push-jobs'
  | 'push-unique'
  | 'recover-orphan'
  | 'release-lock'
  | 'renew-lease'
  | 'renew-liveness'
  | 'requeue-entries'
  | 'requeue-private'
  | 'retry-job';

/** A parsed script file. */
export interface ScriptSource {
  readonly name: string;
  readonly lua: string;
  /** SHA1 of `lua`, as `EVALSHA` names the script. */
  readonly sha: string;
  /** Highest `KEYS[i]` named in the header. */
  readonly numberOfKeys: number;
  /** Indices named in the header. */
  readonly headerKeys: ReadonlySet<number>;
  readonly headerArgs: ReadonlySet<number>;
  /** Indices used in the body (after the header). */
  readonly bodyKeys: ReadonlySet<number>;
  readonly bodyArgs: ReadonlySet<number>;
}

const SCRIPTS_DIR = fileURLToPath(new URL('./scripts/', import.meta.url));

function indices(text: string, name: 'KEYS' | 'ARGV'): Set<number> {
  const found = new Set<number>();
  for (const match of text.matchAll(new RegExp(`${name}\\[(\\d+)\\]`, 'g'))) found.add(Number(match[1]));
  return found;
}

/** Parse a script's contract header (`--[[ ... ]]` at the top) and body. */
export function parseScript(name: string, lua: string): ScriptSource {
  const end = lua.indexOf(']]');
  if (!lua.startsWith('--[[') || end < 0) throw new Error(`script ${name}: missing --[[ contract header ]]`);
  const header = lua.slice(0, end);
  const body = lua.slice(end + 2);
  const headerKeys = indices(header, 'KEYS');
  return {
    name,
    lua,
    sha: createHash('sha1').update(lua).digest('hex'),
    numberOfKeys: Math.max(0, ...headerKeys),
    headerKeys,
    headerArgs: indices(header, 'ARGV'),
    bodyKeys: indices(body, 'KEYS'),
    bodyArgs: indices(body, 'ARGV'),
  };
}

let cache: readonly ScriptSource[] | undefined;

/** Every script in `scripts/`, parsed once per process. */
export function loadScripts(): readonly ScriptSource[] {
  cache ??= readdirSync(SCRIPTS_DIR)
    .filter((file) => file.endsWith('.lua'))
    .sort()
    .map((file) => parseScript(file.slice(0, -4), readFileSync(SCRIPTS_DIR + file, 'utf8')));
  return cache;
}

let byName: ReadonlyMap<string, ScriptSource> | undefined;

/** The script `name` of `scripts/`; throws for a name that is not one. */
export function scriptSource(name: ScriptName): ScriptSource {
  byName ??= new Map(loadScripts().map((script) => [script.name, script]));
  const script = byName.get(name);
  if (script === undefined) throw new Error(`no script ${name} in ${SCRIPTS_DIR}`);
  return script;
}

/**
 * Register every script (or only `names`) on a connection with
 * `defineCommand` (idempotent per connection). Every `pipeline()` of a
 * connection copies each script defined on it (ioredis `Pipeline`
 * constructor, lib/Pipeline.ts): ~10 µs a pipeline for all of Kiq's, so a
 * connection that pipelines on a hot path defines only what it runs.
 *
 * @example
 * defineScripts(redis);                 // a pooled connection: all of them
 * defineScripts(blocking, ['fetch-jobs']); // the fetcher's dedicated connection
 */
export function defineScripts(redis: Redis, names?: readonly ScriptName[]): void {
  for (const script of loadScripts()) {
    if (names !== undefined && !names.includes(script.name as ScriptName)) continue;
    if (typeof (redis as unknown as Record<string, unknown>)[script.name] === 'function') continue;
    redis.defineCommand(script.name, { numberOfKeys: script.numberOfKeys, lua: script.lua });
  }
}

/** A key or argument: strings and numbers, or exact bytes (an entry that is not valid UTF-8). */
export type ScriptArg = string | number | Buffer;

type ScriptFn<R> = (...keysAndArgs: ScriptArg[]) => R;

/** How a script's string replies come back: decoded as UTF-8 (default), or as the bytes Redis holds (ioredis's `<name>Buffer` variant). */
export type ScriptReplies = 'string' | 'buffer';

/**
 * Call a script on a connection (or queue it on a pipeline).
 * Keys and args are passed in header order.
 */
export function runScript(redis: Redis, name: ScriptName, keys: readonly string[], args: readonly ScriptArg[], replies?: ScriptReplies): Promise<unknown>;
export function runScript(
  redis: ChainableCommander,
  name: ScriptName,
  keys: readonly string[],
  args: readonly ScriptArg[],
  replies?: ScriptReplies,
): ChainableCommander;
export function runScript(
  redis: Redis | ChainableCommander,
  name: ScriptName,
  keys: readonly string[],
  args: readonly ScriptArg[],
  replies: ScriptReplies = 'string',
): unknown {
  const command = replies === 'buffer' ? `${name}Buffer` : name;
  const fn = (redis as unknown as Record<string, ScriptFn<unknown>>)[command];
  if (typeof fn !== 'function') throw new Error(`script ${name} is not defined on this connection`);
  return fn.call(redis, ...keys, ...args);
}
