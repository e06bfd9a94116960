/**
 * @internal
 * Turn a built job into a buffer entry: encode it once (the JSON that will be
 * stored, minus `enqueued_at`), and for unique jobs name the lock.
 */
import type { BuiltJob } from '../job/build.js';
import { encodeJob } from '../job/encode.js';
import type { TimestampFormat } from '../job/timestamp.js';
import { uniqueDigest } from '../job/unique-digest.js';
import { uniqueKey } from '../redis/keys.js';
import type { BufferEntry, Confirmation } from './entry.js';

/** Build the entry for `built` with sequence number `seq`; `created_at` is written in `timestamps`. */
export function toEntry(built: BuiltJob, seq: number, confirm?: Confirmation, timestamps: TimestampFormat = 'seconds'): BufferEntry {
  const { payload, atSec, uniqueTtlMs } = built;
  // one object shape for every entry: no throwaway spreads on the hot path
  return {
    seq,
    jid: payload.jid,
    queue: payload.queue,
    json: encodeJob(payload, { timestamps }),
    atSec,
    lockKey: uniqueTtlMs === undefined ? undefined : uniqueKey(uniqueDigest(payload.class, payload.queue, payload.args)),
    lockTtlMs: uniqueTtlMs,
    confirm,
    arrivedMs: 0,
  };
}
