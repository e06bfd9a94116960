/**
 * Spool segments built byte by byte for tests: what a crashed or damaged
 * process leaves behind (torn records, flipped bytes, newer formats).
 */
import { readdirSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { encodeHeader } from '../../src/client/spool/header.js';
import { encodeRecord, type SpoolJob } from '../../src/client/spool/record.js';
import { segmentName } from '../../src/client/spool/segment-name.js';

/** A plain immediate job for queue `default` with args `[i]`. */
export function plainJob(i: number, className = 'Spooled'): SpoolJob {
  const jid = `${className.toLowerCase()}${String(i).padStart(12, '0')}`.slice(-24);
  return { jid, queue: 'default', json: JSON.stringify({ class: className, args: [i], queue: 'default', jid, retry: true, created_at: 1 }), atSec: undefined, lockKey: undefined, lockTtlMs: undefined };
}

/** A segment file's bytes and where each record starts. */
export interface BuiltSegment {
  readonly bytes: Buffer;
  readonly offsets: readonly number[];
}

/** Header + records for `jobs`. */
export function buildSegment(jobs: readonly SpoolJob[]): BuiltSegment {
  const parts = [encodeHeader()];
  const offsets: number[] = [];
  let at = parts[0]!.length;
  for (const job of jobs) {
    const record = encodeRecord(job, 1_700_000_000_000);
    offsets.push(at);
    at += record.length;
    parts.push(record);
  }
  return { bytes: Buffer.concat(parts), offsets };
}

/** Write `bytes` as segment number `seq` in `dir`; returns its file name. */
export async function writeSegment(dir: string, seq: number, bytes: Buffer): Promise<string> {
  const name = segmentName(seq);
  await writeFile(join(dir, name), bytes);
  return name;
}

/** File names in `dir` that are segments (or kept corrupt ones, or markers). */
export function spoolFiles(dir: string): string[] {
  return readdirSync(dir).filter((name) => name.startsWith('seg-')).sort();
}
