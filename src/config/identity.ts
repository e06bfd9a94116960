/**
 * @internal
 * Process identity, Sidekiq's form (docs/architecture.md §2, docs/kiq-elixir.md §2.1). It
 * names this instance in `processes`, the heartbeat hash, `dear-leader` and
 * the private queues `queue:sq|IDENTITY|QUEUE`, so it must never contain `|`.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

/**
 * A fresh identity `hostname:pid:nonce`: hostname from `DYNO` (Heroku) else
 * the OS, the OS pid, and 12 lowercase hex characters (6 random bytes, as
 * Sidekiq's `SecureRandom.hex(6)`). Unique per instance even within one process.
 *
 * @example
 * newIdentity({ DYNO: 'web.1' }); // 'web.1:4242:3f9a0c1b2d4e'
 */
export function newIdentity(env: Readonly<Record<string, string | undefined>> = process.env): string {
  // A `|` would split the private-queue name `queue:sq|IDENTITY|QUEUE` in the wrong place.
  const host = (env.DYNO || hostname()).replaceAll('|', '-');
  return `${host}:${process.pid}:${randomBytes(6).toString('hex')}`;
}
