/**
 * @internal
 * Job ids: 12 cryptographically random bytes as 24 lowercase hex characters,
 * the format Sidekiq writes (docs/sidekiq-contract.md §2).
 */
import { randomBytes } from 'node:crypto';

/** Bytes per jid. */
const JID_BYTES = 12;
/** One `randomBytes` call serves this many jids (one syscall per 4 KiB or so). */
const POOL_JIDS = 341;

let pool = randomBytes(JID_BYTES * POOL_JIDS);
let offset = 0;

/**
 * A new job id. Bytes come from a pooled `randomBytes` buffer refilled in
 * chunks; every byte is used once, so ids are as unpredictable as
 * `randomBytes(12)` but about 20× cheaper to make.
 *
 * @example
 * newJid(); // e.g. 'a319acf4a129c1d6e0eec6db'
 */
export function newJid(): string {
  if (offset === pool.length) {
    pool = randomBytes(JID_BYTES * POOL_JIDS);
    offset = 0;
  }
  const start = offset;
  offset += JID_BYTES;
  return pool.toString('hex', start, offset);
}

/**
 * Whether `value` looks like a jid Sidekiq would write (24 lowercase hex).
 * Kiq accepts any non-empty string as a jid; this is for tests and logs.
 *
 * @example
 * isSidekiqJid('a319acf4a129c1d6e0eec6db'); // true
 */
export function isSidekiqJid(value: unknown): value is string {
  return typeof value === 'string' && /^[0-9a-f]{24}$/.test(value);
}
