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
import { defineScripts, runScript, type ScriptArg, type ScriptName, type ScriptReplies } from './scripts.js';

/**
 * Runs a script on `redis`, defining it on the connection first if needed
 * (so any ioredis connection works, not only pool ones). A Redis reply
 * error (WRONGTYPE, a Lua runtime error, …) rejects with `ScriptError` naming
 * the script, the original as `cause`; connection errors reject unchanged.
 * `replies: 'buffer'` returns string replies as the bytes Redis holds.
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
  // a plain promise chain (one reaction), not async/await: every fetch round runs through here
  try {
    if (typeof (redis as unknown as Record<string, unknown>)[name] !== 'function') defineScripts(redis, [name]);
    return runScript(redis, name, keys, args, replies).then(undefined, (error: unknown) => {
      throw error instanceof ReplyError ? new ScriptError(name, (error as Error).message, { cause: error }) : error;
    });
  } catch (error) {
    return Promise.reject(error);
  }
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
