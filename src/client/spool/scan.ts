/**
 * @internal
 * Reading records out of a chunk of a segment. A record whose marker,
 * length or CRC is wrong is damage: the scan looks for the next offset where
 * a whole record with a matching CRC starts and resumes there, so one bad
 * byte costs one record, not the rest of the file. Damage that runs to the
 * end of the segment is a torn tail (the process died mid-write).
 */
import { FRAME_BYTES, MARK_0, MARK_1, MAX_PAYLOAD_BYTES, decodePayload, frameCrc, type SpoolRecord } from './record.js';

/** A record found by {@link scanChunk}, with its place in the segment. */
export interface ScannedRecord {
  /** Offset of its first byte in the segment. */
  readonly offset: number;
  /** Offset just past it. */
  readonly end: number;
  readonly record: SpoolRecord;
}

/** Bytes that held no readable record. */
export interface Damage {
  /** `corrupt`: a good record follows; `torn`: it runs to the end of the segment. */
  readonly kind: 'corrupt' | 'torn';
  readonly offset: number;
  readonly bytes: number;
}

/** What one scan found. */
export interface ScanResult {
  readonly records: ScannedRecord[];
  readonly damage: Damage[];
  /** Offset (in the segment) where the next scan starts. */
  readonly next: number;
}

/** `'partial'` when the record at `at` runs past the chunk; else its end, or `undefined` when it is not a good record. */
function recordAt(chunk: Buffer, at: number): number | 'partial' | undefined {
  if (chunk.length - at < FRAME_BYTES) return chunk.length - at >= 2 && (chunk[at] !== MARK_0 || chunk[at + 1] !== MARK_1) ? undefined : 'partial';
  if (chunk[at] !== MARK_0 || chunk[at + 1] !== MARK_1) return undefined;
  const length = chunk.readUInt32LE(at + 6);
  if (length > MAX_PAYLOAD_BYTES) return undefined;
  const end = at + FRAME_BYTES + length;
  if (end > chunk.length) return 'partial';
  if (frameCrc(chunk, at, length) !== chunk.readUInt32LE(at + 2)) return undefined;
  return end;
}

/** Next offset after `from` where a whole good record starts, or `undefined`. */
function resync(chunk: Buffer, from: number): number | undefined {
  for (let at = chunk.indexOf(MARK_0, from); at >= 0; at = chunk.indexOf(MARK_0, at + 1)) {
    const end = recordAt(chunk, at);
    if (typeof end === 'number' && decodePayload(chunk.subarray(at + FRAME_BYTES, end))) return at;
  }
  return undefined;
}

/**
 * Scan `chunk`, the bytes of a segment from offset `base`, for at most
 * `max` records. `atEnd`: the chunk reaches the end of the segment, so a
 * record cut short is a torn tail rather than one to read next time.
 */
export function scanChunk(chunk: Buffer, base: number, atEnd: boolean, max: number): ScanResult {
  const records: ScannedRecord[] = [];
  const damage: Damage[] = [];
  let at = 0;
  while (at < chunk.length && records.length < max) {
    const end = recordAt(chunk, at);
    if (end === 'partial' && !atEnd) break;
    const record = typeof end === 'number' ? decodePayload(chunk.subarray(at + FRAME_BYTES, end)) : undefined;
    if (typeof end === 'number' && record) {
      records.push({ offset: base + at, end: base + end, record });
      at = end;
      continue;
    }
    const good = resync(chunk, at + 1);
    if (good === undefined) {
      // nothing readable up to the end of what we have
      if (!atEnd) break;
      damage.push({ kind: 'torn', offset: base + at, bytes: chunk.length - at });
      at = chunk.length;
    } else {
      damage.push({ kind: 'corrupt', offset: base + at, bytes: good - at });
      at = good;
    }
  }
  return { records, damage, next: base + at };
}
