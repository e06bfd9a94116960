/**
 * @internal
 * Read the next records of a segment from an offset: a chunk of at most
 * {@link CHUNK_BYTES}, or the whole rest of the segment when the chunk
 * holds damage it cannot get past (the next good record lies beyond it).
 */
import { open } from 'node:fs/promises';
import { scanChunk, type ScanResult } from './scan.js';

/** Bytes read per replay batch (a thousand jobs of a few KiB each). */
export const CHUNK_BYTES = 4 * 1024 * 1024;

async function readRange(path: string, from: number, to: number): Promise<Buffer> {
  const file = await open(path, 'r');
  try {
    const bytes = Buffer.allocUnsafe(to - from);
    let done = 0;
    while (done < bytes.length) {
      const { bytesRead } = await file.read(bytes, done, bytes.length - done, from + done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    return bytes.subarray(0, done);
  } finally {
    await file.close();
  }
}

/** Up to `max` records of the segment at `path` between `from` and `end` (its durable size). */
export async function readBatch(path: string, from: number, end: number, max: number): Promise<ScanResult> {
  const to = Math.min(end, from + CHUNK_BYTES);
  const chunk = await readRange(path, from, to);
  const atEnd = from + chunk.length >= end;
  const scan = scanChunk(chunk, from, atEnd, max);
  if (scan.next > from || atEnd) return scan;
  // a record larger than a chunk, or damage with no good record after it in this chunk
  return scanChunk(await readRange(path, from, end), from, true, max);
}
