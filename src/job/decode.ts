/**
 * @internal
 * The JSON string read from Redis → a payload. Reads what Sidekiq 6.4, 7.x
 * and 8.x write (docs/sidekiq-contract.md §2, §7; docs/architecture.md §2): timestamps in
 * integer milliseconds become float seconds; every other key is kept as it
 * is, known or not, so a re-pushed job loses nothing.
 */
import { InvalidJobError } from '../errors.js';
import { TIMESTAMP_KEYS, type JobPayload } from './payload.js';
import { readTimestamp } from './timestamp.js';

/**
 * Decodes a payload. Throws `InvalidJobError` (with the raw string in
 * `.payload`, so it can go to the dead set unchanged) when the text is not
 * JSON, not an object, or lacks a non-empty string `class` or an array
 * `args`, or when `jid` or `queue` is present but not a string. For any
 * string input it throws nothing else.
 *
 * Nothing is invented: a payload without `jid` or `queue` decodes without
 * them (the types say `string`; foreign producers may still omit them, and
 * a made-up jid would be written back on retry as if Sidekiq had set it).
 * Take the queue from where the job was fetched. A `"__proto__"` key stays
 * an own data property and never changes a prototype; copy decoded payloads
 * with spread or `structuredClone`, not `Object.assign`, which would.
 *
 * @example
 * decodeJob('{"class":"MyWorker","args":[1,2],"created_at":1795807920704}');
 * // { class: 'MyWorker', args: [1, 2], created_at: 1795807920.704 }
 * decodeJob('this is not json'); // throws InvalidJobError, .payload === 'this is not json'
 */
export function decodeJob(raw: string): JobPayload {
  if (typeof raw !== 'string') throw new InvalidJobError(`expected a JSON string, got a ${typeof raw}`, raw);
  let job: unknown;
  try {
    job = JSON.parse(raw);
  } catch (error) {
    // SyntaxError, or RangeError for input nested too deep for the parser.
    throw new InvalidJobError(`not JSON (${error instanceof Error ? error.message : String(error)})`, raw, { cause: error });
  }
  if (job === null || typeof job !== 'object' || Array.isArray(job)) {
    throw new InvalidJobError(`expected a JSON object, got ${job === null ? 'null' : Array.isArray(job) ? 'an array' : typeof job}`, raw);
  }
  // JSON.parse makes own data properties only (even "__proto__"); `own`
  // reads never reach a prototype either.
  const record = job as Record<string, unknown>;
  const cls = own(record, 'class');
  if (typeof cls !== 'string' || cls === '') throw new InvalidJobError('"class" must be a non-empty string', raw);
  if (!Array.isArray(own(record, 'args'))) throw new InvalidJobError('"args" must be an array', raw);
  const jid = own(record, 'jid');
  if (jid !== undefined && typeof jid !== 'string') throw new InvalidJobError('"jid" must be a string when present', raw);
  const queue = own(record, 'queue');
  if (queue !== undefined && typeof queue !== 'string') throw new InvalidJobError('"queue" must be a string when present', raw);
  for (const key of TIMESTAMP_KEYS) {
    const sec = readTimestamp(own(record, key));
    if (sec !== undefined) record[key] = sec; // Sidekiq 8 ms → s; anything else stays as it is
  }
  return record as JobPayload;
}

function own(record: Record<string, unknown>, key: string): unknown {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}
