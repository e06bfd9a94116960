/**
 * @internal
 * One spooled job, framed for a segment file (docs/spool-format.md):
 *
 * | bytes | field                                                        |
 * | ----- | ------------------------------------------------------------ |
 * | 2     | sync marker `0xC1 0x4B` (0xC1 is never used by msgpack or UTF-8) |
 * | 4     | CRC-32 of the next 4 + n bytes (length and payload), u32 LE  |
 * | 4     | payload length n, u32 LE                                     |
 * | n     | payload: a msgpack array (msgpackr `pack`)                   |
 *
 * The payload is `[jid, queue, json, atSec, lockKey, lockTtlMs, spooledAtMs]`
 * (`null` for an absent one): everything `Pusher` needs to write the job
 * as if it had never left memory. The CRC covers the length so a flipped
 * length byte is caught, not followed; the marker lets a reader find the
 * next record after a damaged one.
 */
import { pack, unpack } from 'msgpackr';
import type { BufferEntry } from '../entry.js';
import { crc32 } from './crc32.js';

/** Marker, length and CRC. */
export const FRAME_BYTES = 10;

/** First marker byte. */
export const MARK_0 = 0xc1;
/** Second marker byte. */
export const MARK_1 = 0x4b;

/** Larger payloads are taken for a damaged length (a job JSON is far smaller). */
export const MAX_PAYLOAD_BYTES = 256 * 1024 * 1024;

/** The job fields a record carries: an entry minus what only lives in memory. */
export type SpoolJob = Pick<BufferEntry, 'jid' | 'queue' | 'json' | 'atSec' | 'lockKey' | 'lockTtlMs'>;

/** A decoded record. */
export interface SpoolRecord extends SpoolJob {
  /** When it was written to the spool, epoch ms. */
  readonly spooledAtMs: number;
}

/** Frame `job` as one record. */
export function encodeRecord(job: SpoolJob, spooledAtMs: number): Buffer {
  const payload = pack([job.jid, job.queue, job.json, job.atSec ?? null, job.lockKey ?? null, job.lockTtlMs ?? null, spooledAtMs]);
  const record = Buffer.allocUnsafe(FRAME_BYTES + payload.length);
  record[0] = MARK_0;
  record[1] = MARK_1;
  record.writeUInt32LE(payload.length, 6);
  payload.copy(record, FRAME_BYTES);
  record.writeUInt32LE(frameCrc(record, 0, payload.length), 2);
  return record;
}

/** The CRC of the record at `at` in `bytes` whose payload is `length` bytes. */
export function frameCrc(bytes: Buffer, at: number, length: number): number {
  return crc32(bytes.subarray(at + 6, at + FRAME_BYTES + length));
}

const isOptional = (value: unknown, type: 'string' | 'number'): boolean => value === null || typeof value === type;

/** Decode a payload whose CRC matched; `undefined` when its shape is not a record's. */
export function decodePayload(payload: Buffer): SpoolRecord | undefined {
  let fields: unknown;
  try {
    fields = unpack(payload);
  } catch {
    return undefined;
  }
  if (!Array.isArray(fields) || fields.length < 7) return undefined;
  const [jid, queue, json, atSec, lockKey, lockTtlMs, spooledAtMs] = fields as unknown[];
  if (typeof jid !== 'string' || typeof queue !== 'string' || typeof json !== 'string' || typeof spooledAtMs !== 'number') return undefined;
  if (!isOptional(atSec, 'number') || !isOptional(lockKey, 'string') || !isOptional(lockTtlMs, 'number')) return undefined;
  return {
    jid,
    queue,
    json,
    atSec: (atSec as number | null) ?? undefined,
    lockKey: (lockKey as string | null) ?? undefined,
    lockTtlMs: (lockTtlMs as number | null) ?? undefined,
    spooledAtMs,
  };
}
