/**
 * @internal
 * What a spool directory holds, read from its files alone (no lock taken,
 * nothing changed): for `kiq stats --spool-dir`, on the host of the process
 * that owns the spool.
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { HEADER_BYTES } from './header.js';
import { LOCK_FILE } from './lock.js';
import { markerPath, readMarker } from './marker.js';
import { segmentSeq } from './segment-name.js';

/** A spool directory's contents. */
export interface SpoolStatus {
  readonly dir: string;
  /** Segment files (kept `.corrupt` ones not counted). */
  readonly segments: number;
  /** Bytes of the segment files. */
  readonly bytes: number;
  /** Bytes past each segment's local pushed-up-to marker: roughly what Redis does not have yet. */
  readonly unpushedBytes: number;
  /** Segments kept as `.corrupt`. */
  readonly corrupt: number;
  /** Pid in `kiq.lock`, if any. */
  readonly holder: number | undefined;
}

/** Read `dir`'s status; throws the file-system error (ENOENT for a missing dir). */
export async function readSpoolStatus(dir: string): Promise<SpoolStatus> {
  const names = await readdir(dir);
  let segments = 0;
  let bytes = 0;
  let unpushedBytes = 0;
  for (const name of names) {
    if (segmentSeq(name) === undefined) continue;
    const path = join(dir, name);
    const { size } = await stat(path);
    segments++;
    bytes += size;
    unpushedBytes += Math.max(0, size - Math.max(HEADER_BYTES, await readMarker(markerPath(path))));
  }
  const pid = Number.parseInt(await readFile(join(dir, LOCK_FILE), 'utf8').catch(() => ''), 10);
  return {
    dir,
    segments,
    bytes,
    unpushedBytes,
    corrupt: names.filter((name) => name.endsWith('.kiq.corrupt')).length,
    holder: Number.isInteger(pid) ? pid : undefined,
  };
}
