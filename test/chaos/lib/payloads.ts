/**
 * Raw entries for the hostile-payload scenario, as bytes (other producers
 * than Ruby and Kiq can write anything): hostile ones that must end in the
 * dead set, and valid-but-awkward jobs (invalid UTF-8 inside a string, deep
 * nesting, huge arguments, odd queue names) that must run exactly once.
 * Every entry is unique (sorted-set members would merge otherwise).
 */
import { randomBytes } from 'node:crypto';
import { CHAOS_CLASS } from './harness.js';

/** Where an entry is written: `LPUSH queue:<queue>`, or `ZADD schedule|retry <score>`. */
export type Place = 'queue' | 'schedule' | 'retry';

/** The kinds of hostile entry. */
export type HostileKind = 'not-json' | 'non-object' | 'invalid-utf8' | 'bad-shape' | 'deep' | 'huge';

/** The kinds of valid-but-awkward job. */
export type AwkwardKind = 'invalid-utf8' | 'deep' | 'huge' | 'plain';

/** One raw entry to write. */
export interface RawEntry {
  readonly place: Place;
  /** The list it goes to (for `queue`), or the queue its payload names. */
  readonly queue: string;
  /** The ZADD score (schedule/retry), as Redis accepts it. */
  readonly score: string;
  readonly bytes: Buffer;
  /** For a valid job: its id (args[0]). */
  readonly id?: string;
}

/** Due scores nobody would write on purpose: all of them are in the past. */
const GARBAGE_SCORES = ['-inf', '0', '-1', '1e-300', '1', String(Date.now() / 1000 - 30 * 365 * 86_400)];
const PLACES: readonly Place[] = ['queue', 'schedule', 'retry'];
/** Nesting depth past the 1,000 levels of Redis's cjson. */
const DEPTH = 1_500;

const nested = (depth: number, inner: string): string => '['.repeat(depth) + inner + ']'.repeat(depth);

/** The bytes of hostile entry `i` of `kind`. */
function hostileBytes(kind: HostileKind, i: number): Buffer {
  switch (kind) {
    case 'not-json':
      return Buffer.from(i % 2 === 0 ? `not json #${i} {` : `{"class":"${CHAOS_CLASS}","args":["h${i}"`);
    case 'non-object':
      return Buffer.from([`${i}`, `${i}.5`, `"a string ${i}"`, `["an","array",${i}]`][i % 4]!);
    case 'invalid-utf8':
      return Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(` bad bytes ${i} `), Buffer.from([0xc3, 0x28, 0xa0])]);
    case 'bad-shape':
      return Buffer.from(i % 2 === 0 ? `{"args":["h${i}"],"queue":"chaos"}` : `{"class":"${CHAOS_CLASS}","args":"h${i}","queue":"chaos"}`);
    case 'deep':
      return Buffer.from(nested(DEPTH, String(i)));
    case 'huge':
      return Buffer.from(`${'x'.repeat(200_000)} huge ${i}`);
  }
}

/** A kind list in which each kind appears `weight` times, spread out (e.g. `{ plain: 10, huge: 1 }`). */
export function weighted<K extends string>(weights: Readonly<Partial<Record<K, number>>>): K[] {
  const out: K[] = [];
  const left = new Map(Object.entries(weights) as [K, number][]);
  while ([...left.values()].some((n) => n > 0)) {
    for (const [kind, n] of left) {
      if (n <= 0) continue;
      out.push(kind);
      left.set(kind, n - 1);
    }
  }
  return out;
}

/** `count` hostile entries, kinds and places taken in turn, queues too. */
export function hostileEntries(count: number, kinds: readonly HostileKind[], queues: readonly string[]): RawEntry[] {
  return Array.from({ length: count }, (_, i) => ({
    place: PLACES[i % PLACES.length]!,
    queue: queues[i % queues.length]!,
    score: GARBAGE_SCORES[i % GARBAGE_SCORES.length]!,
    bytes: hostileBytes(kinds[i % kinds.length]!, i),
  }));
}

/** A Sidekiq job hash for ChaosJob, as JSON text, with `extra` spliced in as the raw second argument. */
function jobJson(id: string, queue: string, place: Place, extra: string): string {
  const now = Date.now() / 1000;
  const head = JSON.stringify({ class: CHAOS_CLASS, queue, jid: randomBytes(12).toString('hex'), retry: false, created_at: now });
  const timing = place === 'queue' ? `,"enqueued_at":${now}` : place === 'retry' ? `,"retry_count":0,"failed_at":${now},"error_class":"Chaos","error_message":"m"` : '';
  return `${head.slice(0, -1)}${timing},"args":[${JSON.stringify(id)},${extra}]}`;
}

/** `count` valid jobs with ids `<prefix><i>`: awkward kinds, places and queues taken in turn. */
export function awkwardJobs(prefix: string, count: number, kinds: readonly AwkwardKind[], queues: readonly string[]): RawEntry[] {
  return Array.from({ length: count }, (_, i) => {
    const id = `${prefix}${i}`;
    const kind = kinds[i % kinds.length]!;
    const place = PLACES[i % PLACES.length]!;
    const queue = queues[i % queues.length]!;
    const score = String(Date.now() / 1000 - 1);
    if (kind === 'invalid-utf8') {
      const [before, after] = jobJson(id, queue, place, '"@"').split('"@"');
      return { place, queue, score, id, bytes: Buffer.concat([Buffer.from(`${before!}"caf`), Buffer.from([0xe9, 0xff]), Buffer.from(`"${after!}`)]) };
    }
    const extra = kind === 'deep' ? nested(DEPTH, '1') : kind === 'huge' ? JSON.stringify('y'.repeat(500_000)) : '"plain"';
    return { place, queue, score, id, bytes: Buffer.from(jobJson(id, queue, place, extra)) };
  });
}
