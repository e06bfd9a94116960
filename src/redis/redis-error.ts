/**
 * @internal
 * What a Redis failure means, in plain words. ioredis and Redis speak in
 * their own terms ("Stream isn't writeable and enableOfflineQueue options is
 * false", "ERR EXEC without MULTI"); an operator needs to know what happened
 * and whether waiting will cure it. Log lines carry {@link RedisErrorInfo}'s
 * `message`, with the original text as `cause`.
 */
import { createHash } from 'node:crypto';
import { loadScripts } from './scripts.js';

/** A Redis failure, explained. */
export interface RedisErrorInfo {
  /** What happened, in plain words, e.g. `the Redis user may not run LMOVE (ACL NOPERM)`. */
  readonly message: string;
  /** The original error text (first line), as ioredis or Redis gave it. */
  readonly cause: string;
  /**
   * Retrying will not cure it (an ACL denial, a key of the wrong type, a
   * wrong password, a script Redis refuses): it needs an operator.
   */
  readonly permanent: boolean;
}

/** ioredis's own connection-state messages, and what they mean. */
const CONNECTION_MESSAGES: readonly (readonly [RegExp, string])[] = [
  [/Stream isn't writeable|enableOfflineQueue/, 'not connected to Redis (the connection is down; commands fail at once until it reconnects)'],
  [/Connection is closed/, 'the connection to Redis closed'],
  [/Socket timeout/, 'Redis sent nothing while a command waited (a stalled or blackholed connection); reconnecting'],
  [/Command timed out/, 'Redis did not answer in time (a stalled connection)'],
  [/ECONNREFUSED/, 'connection refused (is redis-server running on that host and port?)'],
  [/ECONNRESET|EPIPE/, 'the connection to Redis was reset'],
  [/ENOTFOUND|EAI_AGAIN/, 'Redis host not found'],
  [/ETIMEDOUT/, 'connecting to Redis timed out'],
  [/EHOSTUNREACH|ENETUNREACH/, 'Redis host unreachable'],
  [/LOADING/, 'Redis is loading its data set into memory'],
  [/READONLY/, 'the Redis server is a read-only replica'],
  [/MASTERDOWN|TRYAGAIN|CLUSTERDOWN/, 'Redis is not ready to serve this command yet'],
  [/^OOM /, 'Redis is out of memory (maxmemory reached); writes are refused'],
  [/BUSY /, 'Redis is busy running a long script'],
];

/** The first line of an error's message (Lua errors append a script trace). */
function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0]!.trim();
}

/** The first line of every message along the `cause` chain (a ScriptError wraps Redis's ReplyError) and of ioredis's MULTI `previousErrors`. */
function messages(error: unknown): string[] {
  const found: string[] = [];
  for (let current: unknown = error, depth = 0; current !== undefined && current !== null && depth < 5; depth++) {
    found.push(firstLine(current));
    const previous = (current as { previousErrors?: unknown }).previousErrors;
    if (Array.isArray(previous)) for (const each of previous) found.push(firstLine(each));
    current = (current as { cause?: unknown }).cause;
  }
  return found;
}

/** `the Redis user may not run LMOVE (ACL NOPERM)` from Redis 6/7's NOPERM texts. */
function denied(text: string): string {
  const command = /'([^']+)' command/.exec(text)?.[1];
  if (command) return `the Redis user may not run ${command.toUpperCase()} (ACL NOPERM)`;
  if (/keys?/i.test(text)) return 'the Redis user may not access a key Kiq uses (ACL NOPERM)';
  if (/channel/i.test(text)) return 'the Redis user may not use a channel Kiq uses (ACL NOPERM)';
  return 'the Redis user lacks a permission Kiq needs (ACL NOPERM)';
}

/**
 * Whether a MULTI failed because Redis refused the MULTI itself (an ACL
 * denial): its commands then ran one by one, outside any transaction, and
 * EXEC answered "EXEC without MULTI". Their effects are in Redis; retrying
 * would apply them again.
 */
export function ranOutsideTransaction(error: unknown): boolean {
  return messages(error).some((text) => /EXEC without MULTI/.test(text));
}

/**
 * The command on `line` of Kiq's script `name` (Redis 7 reports an ACL
 * denial inside a script as "can't run this command … on @user_script:29",
 * without the command's name).
 */
function scriptCommand(name: string | undefined, line: number): string | undefined {
  const source = loadScripts().find((script) => script.name === name);
  const text = source?.lua.split('\n')[line - 1];
  return text ? /redis\.call\(\s*'([A-Za-z]+)'/.exec(text)?.[1] : undefined;
}

let bySha: ReadonlyMap<string, string> | undefined;

/** Kiq's script whose SHA-1 (EVALSHA's first argument, ioredis's `command.args[0]`) or source (EVAL's) is `first`. */
function scriptNamed(first: unknown): string | undefined {
  if (typeof first !== 'string') return undefined;
  bySha ??= new Map(loadScripts().flatMap((script) => [[createHash('sha1').update(script.lua).digest('hex'), script.name], [script.lua, script.name]]));
  return bySha.get(first);
}

/**
 * The script that failed: the `script` of a `ScriptError` anywhere in the
 * cause chain, else the one an ioredis reply error's `command` ran (an
 * EVALSHA inside a pipeline is not wrapped).
 */
function scriptOf(error: unknown): string | undefined {
  for (let current: unknown = error, depth = 0; current instanceof Error && depth < 5; depth++) {
    const script = (current as { script?: unknown }).script;
    if (typeof script === 'string') return script;
    const command = (current as { command?: { args?: unknown[] } }).command;
    const named = scriptNamed(command?.args?.[0]);
    if (named) return named;
    current = current.cause;
  }
  return undefined;
}

/**
 * Explains `error` (any rejection of an ioredis call, a `ScriptError`, or a
 * MULTI whose `exec()` failed).
 *
 * @example
 * describeRedisError(new Error("Stream isn't writeable and enableOfflineQueue options is false")).message;
 * // 'not connected to Redis (the connection is down; commands fail at once until it reconnects)'
 */
export function describeRedisError(error: unknown): RedisErrorInfo {
  const all = messages(error);
  const cause = all[0] ?? 'unknown error';
  const has = (pattern: RegExp) => all.find((text) => pattern.test(text));
  const noperm = has(/NOPERM/);
  if (noperm) return { message: denied(noperm), cause, permanent: true };
  const inScript = has(/can't run this command|no permissions to (run|access)/);
  if (inScript) {
    const line = Number(/@user_script:(\d+)/.exec(inScript)?.[1]);
    const command = Number.isInteger(line) ? scriptCommand(scriptOf(error), line) : undefined;
    const what = command ? `run ${command.toUpperCase()}` : /access/.test(inScript) ? 'access a key Kiq uses' : 'run a command Kiq needs';
    return { message: `the Redis user may not ${what} (ACL, inside script ${scriptOf(error) ?? '?'})`, cause, permanent: true };
  }
  // MULTI refused (NOPERM above when ioredis kept it): the commands ran one by one and EXEC found no transaction
  if (has(/EXEC without MULTI/)) return { message: 'the Redis user may not run MULTI (EXEC found no transaction; ACL denial?)', cause, permanent: true };
  if (has(/WRONGPASS|invalid username-password|invalid password/i)) return { message: `authentication failed: wrong user name or password`, cause, permanent: true };
  if (has(/NOAUTH/)) return { message: 'authentication failed: Redis requires a password and none was given', cause, permanent: true };
  if (has(/WRONGTYPE/)) return { message: 'a key Kiq uses holds the wrong type of value (WRONGTYPE); someone else wrote it', cause, permanent: true };
  if (has(/NOSCRIPT/)) return { message: 'Redis refuses Kiq\'s Lua script even after reloading it (NOSCRIPT)', cause, permanent: true };
  const unknown = has(/unknown command/i);
  if (unknown) return { message: `Redis does not know a command Kiq needs (renamed or disabled?): ${unknown}`, cause, permanent: true };
  for (const [pattern, plain] of CONNECTION_MESSAGES) {
    if (all.some((text) => pattern.test(text))) return { message: plain, cause, permanent: false };
  }
  return { message: cause, cause, permanent: false };
}
