/**
 * @internal
 * A segment's local pushed-up-to marker, `<segment>.pushed`: 12 bytes, the
 * offset up to which Redis has the segment's records (u64 LE) and the CRC-32
 * of those 8 bytes. Rewritten in place and fsynced after every replayed
 * batch (12 bytes in one sector: no torn write). A missing or damaged
 * marker reads as 0; Redis's own progress key (see replay.ts) then decides.
 */
import { open, readFile } from 'node:fs/promises';
import { crc32 } from './crc32.js';

/** Path of the marker of the segment at `segmentPath`. */
export const markerPath = (segmentPath: string): string => `${segmentPath}.pushed`;

/** The offset a marker records, 0 when there is none or it is damaged. */
export async function readMarker(path: string): Promise<number> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch {
    return 0;
  }
  if (bytes.length < 12 || crc32(bytes.subarray(0, 8)) !== bytes.readUInt32LE(8)) return 0;
  return Number(bytes.readBigUInt64LE(0));
}

/** Record `offset` and fsync. */
export async function writeMarker(path: string, offset: number): Promise<void> {
  const bytes = Buffer.alloc(12);
  bytes.writeBigUInt64LE(BigInt(offset), 0);
  bytes.writeUInt32LE(crc32(bytes.subarray(0, 8)), 8);
  // 'r+' writes in place; only the first marker of a segment creates the file
  const file = await open(path, 'r+').catch(() => open(path, 'w'));
  try {
    await file.write(bytes, 0, 12, 0);
    await file.datasync();
  } finally {
    await file.close();
  }
}
