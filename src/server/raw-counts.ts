/**
 * @internal
 * A multiset of fetched entries by exact bytes: byte-identical payloads (a
 * job pushed twice) are distinct entries of a private list and are counted,
 * never merged. Strings and byte entries ({@link RawJob}) are kept apart, so
 * an invalid-UTF-8 entry never matches the text it decodes to.
 */
import type { RawJob } from '../job/raw.js';

/** How many of each exact entry. */
export class RawCounts {
  readonly #text = new Map<string, number>();
  /** Byte entries by their latin1 form: one char per byte, so equal strings are equal bytes. */
  readonly #bytes = new Map<string, number>();

  /** Distinct entries counted. */
  get size(): number {
    return this.#text.size + this.#bytes.size;
  }

  /** Add `n` (default 1) of `raw`. */
  add(raw: RawJob, n = 1): void {
    const map = this.#mapOf(raw);
    const key = keyOf(raw);
    map.set(key, (map.get(key) ?? 0) + n);
  }

  /** Remove up to `n` (default 1) of `raw`; returns how many were removed. */
  remove(raw: RawJob, n = 1): number {
    const map = this.#mapOf(raw);
    const key = keyOf(raw);
    const had = map.get(key) ?? 0;
    const removed = Math.min(had, n);
    if (had - removed > 0) map.set(key, had - removed);
    else map.delete(key);
    return removed;
  }

  /** How many of `raw`. */
  count(raw: RawJob): number {
    return this.#mapOf(raw).get(keyOf(raw)) ?? 0;
  }

  /** Every distinct entry with its count (byte entries as Buffers again). */
  *entries(): IterableIterator<[RawJob, number]> {
    yield* this.#text.entries();
    for (const [key, n] of this.#bytes) yield [Buffer.from(key, 'latin1'), n];
  }

  // no [map, key] pair per call: every fetched and settled job comes through here
  #mapOf(raw: RawJob): Map<string, number> {
    return typeof raw === 'string' ? this.#text : this.#bytes;
  }
}

/** The map key of an entry: the string itself, or the bytes one char per byte. */
function keyOf(raw: RawJob): string {
  return typeof raw === 'string' ? raw : raw.toString('latin1');
}
