/**
 * @internal
 * Segment file names: `seg-<12-digit sequence>-<8 hex>.kiq`. The sequence
 * orders segments (replay is oldest first); the random part makes the name
 * unique across hosts, since it also names the segment's progress key in a
 * Redis that several spools may share.
 */
import { randomBytes } from 'node:crypto';

const PATTERN = /^seg-(\d{12})-([0-9a-f]{8})\.kiq$/;

/** The name of segment number `seq`. */
export function segmentName(seq: number): string {
  return `seg-${String(seq).padStart(12, '0')}-${randomBytes(4).toString('hex')}.kiq`;
}

/** The sequence number in a segment file name, or `undefined` for another file. */
export function segmentSeq(name: string): number | undefined {
  const match = PATTERN.exec(name);
  return match ? Number(match[1]) : undefined;
}

/** Redis key holding how far a segment has been pushed (set in the push's own MULTI). */
export const progressKey = (name: string): string => `kiq:spool:${name}`;
