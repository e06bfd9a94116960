/**
 * @internal
 * The stall bound of a Kiq connection (docs/architecture.md §6 item 3): a
 * connection on which a command waits and nothing arrives for the bound is
 * dropped (ioredis reconnects). ioredis's own `socketTimeout` does this by
 * arming a timer and a `once('data')` listener for each command sent while
 * none is armed, and clearing both on the reply (lib/Redis.ts
 * `setSocketTimeout`): on an awaited push or a lone job's fetch and ack that
 * is every command, ~2.5 µs of an awaited push's ~60 µs of main-thread CPU
 * in a profile. One check per connection a few times per bound costs nothing
 * per command.
 */
import type { Redis } from 'ioredis';

/** Checks per stall bound (a stall is seen at most two checks late). */
const CHECKS_PER_BOUND = 20;
/** Longest time between two checks, ms. */
const MAX_CHECK_MS = 500;

/**
 * Watch `redis` for stalls: at every check, a connection with commands
 * waiting (`commandQueue`) whose socket has read no byte (`bytesRead`) for
 * `stallMs` is destroyed with the error ioredis's `socketTimeout` gives
 * ("Socket timeout …"), so whoever waits sees the same (the connection's
 * `error` event, its commands rejected, a reconnect). Silence counts from
 * the last check that saw the socket read or stay idle, so a stall is never
 * declared early: it is seen `stallMs` to `stallMs` + two checks after the
 * last byte. The check timer does not hold the process open and ends with
 * the connection (`end`); a new `connect` starts it again.
 *
 * @example
 * watchStalls(redis, 10_000); // instead of { socketTimeout: 10_000 }
 */
export function watchStalls(redis: Redis, stallMs: number): void {
  const everyMs = Math.max(1, Math.min(MAX_CHECK_MS, Math.floor(stallMs / CHECKS_PER_BOUND)));
  let timer: NodeJS.Timeout | undefined;
  let stream: unknown;
  let bytes = 0;
  /** The last check that saw the socket read, stay idle or change (ms): silence counts from there. */
  let heardAt = performance.now();

  const check = (): void => {
    const now = performance.now();
    const current = redis.stream as Redis['stream'] | undefined;
    const read = current?.bytesRead ?? 0;
    if (current === undefined || current !== stream || read !== bytes || redis.commandQueue.length === 0) {
      stream = current;
      bytes = read;
      heardAt = now;
      return;
    }
    if (now - heardAt < stallMs) return;
    heardAt = now;
    current.destroy(new Error(`Socket timeout. Expecting data, but didn't receive any in ${stallMs}ms.`));
  };
  const start = (): void => {
    if (timer !== undefined) return;
    timer = setInterval(check, everyMs);
    timer.unref();
  };
  redis.on('connect', start);
  redis.on('end', () => {
    clearInterval(timer);
    timer = undefined;
  });
  start();
}
