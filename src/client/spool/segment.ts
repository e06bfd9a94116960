/**
 * @internal
 * What the spool knows of one segment file while it runs.
 */
import type { Confirmation } from '../entry.js';

/** One segment of the spool. */
export interface Segment {
  readonly name: string;
  readonly path: string;
  readonly seq: number;
  /** Bytes durably written (a group's bytes count once its fdatasync returned). */
  size: number;
  /** Offset up to which Redis has the records. */
  pushed: number;
  /** Redis's progress key was read since the spool opened or the last failed push. */
  checked: boolean;
  /** `active`: replayable; `blocked`: unreadable or from a newer format, left alone; `done`: pushed, but could not be removed. */
  state: 'active' | 'blocked' | 'done';
  /** A corrupt record was skipped: the file is kept as `<name>.corrupt` instead of being deleted. */
  damaged: boolean;
  /** Callers waiting on `confirm: true` for records appended by this process, by offset. */
  readonly confirms: Map<number, Confirmation>;
}
