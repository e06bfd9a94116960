/**
 * @internal
 * What a spool directory holds at start: its segments, oldest first, each
 * with its header checked and its local pushed-up-to marker read. A segment
 * shorter than its header (the process died while creating it) holds no
 * record and is removed, and so is one its marker says was pushed in full; one that is not a segment or comes from a newer
 * format is reported and left untouched (`blocked`); a marker without its
 * segment (the process died between the two unlinks) is removed.
 */
import { open, readdir, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { SpoolError } from '../../errors.js';
import { FORMAT_VERSION, HEADER_BYTES, checkHeader } from './header.js';
import { markerPath, readMarker } from './marker.js';
import type { Segment } from './segment.js';
import { segmentSeq } from './segment-name.js';

async function readHeader(path: string): Promise<Buffer> {
  const file = await open(path, 'r');
  try {
    const bytes = Buffer.alloc(HEADER_BYTES);
    const { bytesRead } = await file.read(bytes, 0, HEADER_BYTES, 0);
    return bytes.subarray(0, bytesRead);
  } finally {
    await file.close();
  }
}

/** The segments in `dir`; `report` gets each problem as a {@link SpoolError}. */
export async function openSegments(dir: string, report: (error: SpoolError) => void): Promise<Segment[]> {
  const names = await readdir(dir);
  const segments: Segment[] = [];
  for (const name of names.filter((n) => segmentSeq(n) !== undefined).sort()) {
    const path = join(dir, name);
    let header: ReturnType<typeof checkHeader>;
    try {
      header = checkHeader(await readHeader(path));
    } catch (error) {
      // one unreadable entry must not cost the spool: report it, keep going
      report(new SpoolError(path, `unreadable (${(error as NodeJS.ErrnoException).code ?? String(error)}); left untouched`, { cause: error }));
      continue;
    }
    if (header.kind === 'short') {
      await unlink(path);
      await unlink(markerPath(path)).catch(() => undefined);
      continue;
    }
    const { size } = await stat(path);
    const marked = await readMarker(markerPath(path));
    if (header.kind === 'ok' && marked >= size) {
      // pushed in full (an `always` segment kept for more writes, or a crash before its removal)
      await unlink(path);
      await unlink(markerPath(path)).catch(() => undefined);
      continue;
    }
    const segment: Segment = {
      name,
      path,
      seq: segmentSeq(name)!,
      size,
      pushed: Math.max(HEADER_BYTES, marked),
      checked: false,
      state: 'active',
      damaged: false,
      confirms: new Map(),
    };
    if (header.kind !== 'ok') {
      segment.state = 'blocked';
      report(
        new SpoolError(
          path,
          header.kind === 'newer'
            ? `written in spool format ${header.version}, this Kiq reads format ${FORMAT_VERSION}; left untouched (replay it with a newer Kiq)`
            : 'not a spool segment (bad magic); left untouched',
        ),
      );
    }
    segments.push(segment);
  }
  const live = new Set(segments.map((s) => `${s.name}.pushed`));
  for (const name of names) if (name.endsWith('.kiq.pushed') && !live.has(name)) await unlink(join(dir, name)).catch(() => undefined);
  return segments;
}
