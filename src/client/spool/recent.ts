/**
 * @internal
 * The records this process wrote and Redis does not have yet, kept in
 * memory up to a bound, so replaying them (`always` mode's every push, the
 * end of a short outage) needs no read back and no decode. Only what the
 * disk holds is served: a record is taken only once its bytes are durable,
 * and only if it starts exactly where the segment's replay stands. Past the
 * bound, or once a replay went to the disk, the cache empties and stays off
 * until the spool has caught up; the disk is the source of truth throughout.
 */
import type { BufferEntry } from '../entry.js';
import type { Segment } from './segment.js';

interface Recent {
  readonly segment: Segment;
  readonly offset: number;
  readonly end: number;
  readonly entry: BufferEntry;
}

/** Records written by this process, oldest first. */
export class RecentRecords {
  readonly #maxBytes: number;
  readonly #maxRecords: number;
  #items: Recent[] = [];
  #head = 0;
  #bytes = 0;
  #on = true;

  /**
   * @param maxBytes most record bytes held
   * @param maxRecords most records held (`bufferLimit`: what memory held before the spool took them)
   */
  constructor(maxBytes: number, maxRecords: number) {
    this.#maxBytes = maxBytes;
    this.#maxRecords = maxRecords;
  }

  /** Is it taking records? */
  get on(): boolean {
    return this.#on;
  }

  /** Remember records just written to `segment` (`ends[i]` is where record i ends). */
  add(segment: Segment, entries: readonly BufferEntry[], offsets: readonly number[], ends: readonly number[]): void {
    if (!this.#on) return;
    this.#bytes += ends.at(-1)! - offsets[0]!;
    if (this.#bytes > this.#maxBytes || this.#items.length - this.#head + entries.length > this.#maxRecords) return this.off();
    entries.forEach((entry, i) => this.#items.push({ segment, offset: offsets[i]!, end: ends[i]!, entry }));
  }

  /**
   * Up to `max` durable records of `segment` from its replay position;
   * `undefined` when the cache cannot serve it (the caller reads the disk).
   */
  take(segment: Segment, max: number): { entries: BufferEntry[]; offsets: number[]; next: number } | undefined {
    const first = this.#items[this.#head];
    if (!first || first.segment !== segment) return undefined;
    if (first.offset !== segment.pushed) {
      this.off();
      return undefined;
    }
    const entries: BufferEntry[] = [];
    const offsets: number[] = [];
    let next = segment.pushed;
    for (let i = this.#head; i < this.#items.length && entries.length < max; i++) {
      const item = this.#items[i]!;
      if (item.segment !== segment || item.offset !== next || item.end > segment.size) break;
      entries.push(item.entry);
      offsets.push(item.offset);
      next = item.end;
    }
    return entries.length > 0 ? { entries, offsets, next } : undefined;
  }

  /** The first `count` records reached Redis. */
  drop(count: number): void {
    const last = this.#items[this.#head + count - 1];
    if (last) this.#bytes -= last.end - this.#items[this.#head]!.offset;
    this.#head += count;
    if (this.#head >= this.#items.length) {
      this.#items = [];
      this.#head = 0;
      this.#bytes = 0;
    } else if (this.#head > 4096 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
  }

  /** Empty it and stop taking records (until {@link resume}). */
  off(): void {
    this.#on = false;
    this.#items = [];
    this.#head = 0;
    this.#bytes = 0;
  }

  /** Take records again: the spool has caught up, so the next one written is the next to replay. */
  resume(): void {
    this.#on = true;
  }
}
