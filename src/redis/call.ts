/**
 * @internal
 * How Kiq talks to Redis (the server ops, the heartbeat, kiq/admin): scripts
 * are called through the shared loader (EVALSHA with EVAL fallback,
 * docs/kiq-elixir.md bug 3) with Redis reply errors turned into
 * `ScriptError`, and every pipeline or MULTI reply is checked, never assumed
 * (docs/kiq-elixir.md bug 3: no fire-and-forget).
 */
import type { Redis } from 'ioredis';
import { ReplyError } from 'ioredis';
import { ScriptError } from '../errors.js';
import { scriptSource, type ScriptArg, type ScriptName, type ScriptReplies } from './scripts.js';

/**
 * Runs a script on `redis` with `EVALSHA`, and `EVAL` when Redis does not
 * know it (`NOSCRIPT`: a restarted Redis, `SCRIPT FLUSH`), so any ioredis
 * connection works, not only pool ones (docs/kiq-elixir.md bug 3). A Redis
 * reply error (WRONGTYPE, a Lua runtime error, …) rejects with `ScriptError`
 * naming the script, the original as `cause`; connection errors reject
 * unchanged. `replies: 'buffer'` returns string replies as the bytes Redis
 * holds.
 *
 * `EVALSHA` is sent as a plain command, not through the script ioredis
 * defines on a connection (`Script#execute`, lib/Script.ts: a command, a
 * second promise for its fallback): about a third less on the way to the
 * socket on a paced, cold path, and every job's push and fetch round runs
 * through here. Pipelines use {@link runScript}.
 *
 * @example
 * const released = await callScript(redis, 'release-lock', [uniqueKey(digest)], [jid]);
 */
export function callScript(
  redis: Redis,
  name: ScriptName,
  keys: readonly string[],
  args: readonly ScriptArg[],
  replies: ScriptReplies = 'string',
): Promise<unknown> {
  // a plain promise chain (one reaction), not async/await, and no closure made before the
  // reply: every push and fetch round runs through here
  try {
    const script = scriptSource(name);
    return send(redis, 'evalsha', script.sha, script.numberOfKeys, keys, args, replies).then(undefined, (error: unknown) => {
      if (!isNoScript(error)) throw asScriptError(name, error);
      return send(redis, 'eval', script.lua, script.numberOfKeys, keys, args, replies).then(undefined, (retryError: unknown) => {
        throw asScriptError(name, retryError);
      });
    });
  } catch (error) {
    return Promise.reject(error);
  }
}

/** `EVALSHA`/`EVAL` of `head` (the SHA or the source), its string or byte variant. */
function send(
  redis: Redis,
  command: 'evalsha' | 'eval',
  head: string,
  numberOfKeys: number,
  keys: readonly string[],
  args: readonly ScriptArg[],
  replies: ScriptReplies,
): Promise<unknown> {
  return replies === 'buffer'
    ? (redis as unknown as BufferEvals)[command === 'evalsha' ? 'evalshaBuffer' : 'evalBuffer'](head, numberOfKeys, ...keys, ...args)
    : redis[command](head, numberOfKeys, ...keys, ...args);
}

/** ioredis defines a `<command>Buffer` variant of every command (lib/utils/Commander.ts); its types leave these two out. */
interface BufferEvals {
  evalshaBuffer(sha: string, numkeys: number, ...keysAndArgs: ScriptArg[]): Promise<unknown>;
  evalBuffer(lua: string, numkeys: number, ...keysAndArgs: ScriptArg[]): Promise<unknown>;
}

function isNoScript(error: unknown): boolean {
  return error instanceof ReplyError && (error as Error).message.startsWith('NOSCRIPT');
}

function asScriptError(name: ScriptName, error: unknown): unknown {
  return error instanceof ReplyError ? new ScriptError(name, (error as Error).message, { cause: error }) : error;
}

/**
 * Checks the replies of a pipeline or MULTI `exec()`: rejects with the first
 * command error, or with an `Error` when the replies are missing (`null`: a
 * discarded transaction) or fewer than `expected`. Returns the results.
 *
 * @example
 * const [added] = checkReplies(await redis.multi().sadd('queues', 'a').exec(), 1, 'register queue');
 */
export function checkReplies(replies: [Error | null, unknown][] | null, expected: number, what: string): unknown[] {
  if (replies === null || replies.length < expected) throw new Error(`${what}: Redis returned no reply for every command`);
  return replies.map(([error, result]) => {
    if (error) throw error;
    return result;
  });
}
