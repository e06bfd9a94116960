/**
 * @internal
 * Lua scripts: one `.lua` file per script in `scripts/`, each opening with a
 * contract header that lists every `KEYS[i]` and `ARGV[i]`. The header is the
 * one source of the key count. Direct calls go through `callScript`
 * (src/redis/call.ts: EVALSHA with the SHA computed here, EVAL on NOSCRIPT);
 * pipelines through `runScript`, over ioredis script commands
 * (`defineCommand`), which fall back the same way. Either way a Redis
 * restart or SCRIPT FLUSH never loses a call (Kiq's fire-and-forget EVALSHA
 * did, docs/kiq-elixir.md bug 3). No connection has scripts defined on it
 * (see {@link runScript}).
 */
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Redis, type ChainableCommander } from 'ioredis';

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

/** A key or argument: strings and numbers, or exact bytes (an entry that is not valid UTF-8). */
export type ScriptArg = string | number | Buffer;

type ScriptFn = (this: ChainableCommander, ...keysAndArgs: ScriptArg[]) => ChainableCommander;

/** How a script's string replies come back: decoded as UTF-8 (default), or as the bytes Redis holds (ioredis's `<name>Buffer` variant). */
export type ScriptReplies = 'string' | 'buffer';

/** The script commands per key prefix (ioredis `keyPrefix` option; none: `''`). */
const holders = new Map<string, Record<string, ScriptFn>>();

/**
 * Every script as an ioredis script command, defined once per key prefix on
 * an unconnected holder rather than on each connection: `defineCommand`
 * adds two properties per script to the object it runs on, and a connection
 * with all of Kiq's became a dictionary-mode object, every property ioredis
 * reads on it slower (an awaited single push took ~15 µs longer on such a
 * connection than on a plain one, on this project's bench host).
 */
function scriptCommands(keyPrefix: string): Record<string, ScriptFn> {
  let commands = holders.get(keyPrefix);
  if (commands === undefined) {
    const holder = new Redis({ lazyConnect: true, ...(keyPrefix === '' ? {} : { keyPrefix }) });
    for (const script of loadScripts()) holder.defineCommand(script.name, { numberOfKeys: script.numberOfKeys, lua: script.lua });
    commands = holder as unknown as Record<string, ScriptFn>;
    holders.set(keyPrefix, commands);
  }
  return commands;
}

/**
 * Queue a script call on a pipeline or MULTI; keys and args in header order.
 * The call is the script command a pipeline copies from a connection that
 * defines it (ioredis lib/Pipeline.ts constructor, lib/utils/Commander.ts
 * `defineCommand`), run with the pipeline as `this`: EVALSHA, and EVAL
 * through the pipeline's connection on NOSCRIPT. The pipeline's own
 * `keyPrefix` applies. A direct call is {@link callScript} (src/redis/call.ts).
 *
 * @example
 * runScript(pipeline, 'ack-jobs', [privateQueueKey(identity, queue)], raws);
 */
export function runScript(
  pipeline: ChainableCommander,
  name: ScriptName,
  keys: readonly string[],
  args: readonly ScriptArg[],
  replies: ScriptReplies = 'string',
): ChainableCommander {
  const keyPrefix = (pipeline as unknown as { options?: { keyPrefix?: string } }).options?.keyPrefix ?? '';
  const command = scriptCommands(keyPrefix)[replies === 'buffer' ? `${name}Buffer` : name];
  if (typeof command !== 'function') throw new Error(`no script ${name} in ${SCRIPTS_DIR}`);
  return command.call(pipeline, ...keys, ...args);
}
