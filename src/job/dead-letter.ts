/**
 * @internal
 * What Kiq writes to `dead` for an entry that is not a job (not JSON, not an
 * object, no `class`, …): a job-shaped wrapper that Sidekiq's `JobRecord`
 * reads, so the Dead page (`/morgue`) and `Sidekiq::DeadSet#each` keep
 * working (Sidekiq 6.4 raises `TypeError` on a bare `42` or `["an","array"]`
 * and hides every dead job). The original text is the wrapper's only
 * argument, the reason its `error_message`. `src/redis/scripts/poll-due.lua`
 * builds the same wrapper for members the pollers cannot route.
 */
import { createHash } from 'node:crypto';
import { rawText, type RawJob } from './raw.js';
import { formatSeconds } from './timestamp.js';

/** The wrapper's `class`: no worker has it, so a retry from the Web UI goes straight back to dead (`retry: 0`). */
export const INVALID_JOB_CLASS = 'Kiq::InvalidJob';

/** How many bytes of an entry a log line quotes. */
export const EXCERPT_BYTES = 200;

/** Where the entry was and why it is not a job. */
export interface DeadLetterInfo {
  /** The reason, e.g. `invalid job: not JSON` (an `InvalidJobError`'s message). */
  readonly reason: string;
  /** The queue it was fetched from. */
  readonly queue: string;
  /** Where it came from, e.g. `queue:default` (the pollers write `retry` or `schedule`). */
  readonly source: string;
  /** Time of death, float epoch seconds. */
  readonly nowSec: number;
}

/** The dead entry's jid: the entry's own top-level string `jid`, else the first 24 hex digits of the SHA-1 of its bytes. */
export function deadLetterJid(raw: RawJob): string {
  try {
    const parsed: unknown = JSON.parse(rawText(raw));
    const jid = typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>).jid : undefined;
    if (typeof jid === 'string' && jid !== '') return jid;
  } catch {
    // not JSON (or nested beyond what JSON.parse's stack takes): no jid of its own
  }
  return createHash('sha1').update(raw).digest('hex').slice(0, 24);
}

/**
 * The JSON to store in `dead` for `raw`, an entry that is not a job. An entry
 * whose bytes are not valid UTF-8 (src/job/raw.ts) cannot sit in a JSON string
 * as they are: its text (U+FFFD for each bad sequence) is the argument, and
 * `kiq_bytes_base64` keeps the exact bytes.
 *
 * @example
 * deadLetterEntry('42', { reason: 'invalid job: not a JSON object', queue: 'default', source: 'queue:default', nowSec });
 * // '{"class":"Kiq::InvalidJob","args":["42"],"queue":"default","jid":"92cfceb39d57d914ed8b14d0","retry":0,
 * //   "error_class":"InvalidJobError","error_message":"invalid job: not a JSON object","failed_at":…,"kiq_source":"queue:default"}'
 */
export function deadLetterEntry(raw: RawJob, info: DeadLetterInfo): string {
  return JSON.stringify({
    class: INVALID_JOB_CLASS,
    args: [rawText(raw)],
    queue: info.queue,
    jid: deadLetterJid(raw),
    retry: 0,
    error_class: 'InvalidJobError',
    error_message: info.reason,
    failed_at: info.nowSec,
    kiq_source: info.source,
    ...(typeof raw === 'string' ? {} : { kiq_bytes_base64: raw.toString('base64') }),
  });
}

/**
 * The first {@link EXCERPT_BYTES} bytes of `raw` (UTF-8) for a log line:
 * printable ASCII as it is, every other byte and `\` as `\xNN` (as
 * `poll-due.lua` escapes its excerpts).
 *
 * @example
 * excerpt('{"a":"é"}\n'); // '{"a":"\\xc3\\xa9"}\\x0a'
 */
export function excerpt(raw: RawJob): string {
  let out = '';
  for (const byte of (typeof raw === 'string' ? Buffer.from(raw, 'utf8') : raw).subarray(0, EXCERPT_BYTES)) {
    out += byte >= 0x20 && byte <= 0x7e && byte !== 0x5c ? String.fromCharCode(byte) : `\\x${byte.toString(16).padStart(2, '0')}`;
  }
  return out;
}

/** One dead-lettering, for its log line. */
export interface DeadLetterRecord {
  /** Where the entry was: `queue:<name>`, `retry` or `schedule`. */
  readonly from: string;
  /** The dead entry's jid ({@link deadLetterJid}). */
  readonly jid: string;
  /** Its score in `dead`, float epoch seconds. */
  readonly deadScore: number;
  readonly reason: string;
  /** {@link excerpt} of the original entry. */
  readonly excerpt: string;
}

/**
 * The fields of the one log line (`job_invalid`, see `logEvent` in
 * src/logger.ts) of an entry sent to `dead` because it is not a job: jid and
 * dead score find it (`ZRANGEBYSCORE dead <score> <score>`), the excerpt
 * shows what it was.
 */
export function deadLetterFields(record: DeadLetterRecord): Record<string, unknown> {
  const { from, jid, deadScore, reason, excerpt: text } = record;
  // the score exactly as written (formatSeconds), so it can be looked up
  return { from, jid, dead_score: Number(formatSeconds(deadScore)), reason, excerpt: text };
}
