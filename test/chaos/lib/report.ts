/**
 * The one line of figures each fault scenario prints, and the list of end
 * state violations that make `npm run chaos` exit non-zero (and the short
 * versions in test/chaos/short.test.ts fail).
 */

/** What one scenario run measured. */
export interface Figures {
  readonly scenario: string;
  /** Enqueued ids never performed (by the end of the drain window). */
  readonly lost: number;
  /** Enqueued ids performed more than once (at-least-once allows it; the hostile scenario does not). */
  readonly duplicated: number;
  /** Entries left in private lists `queue:sq|…` after the settle window, servers still running. */
  readonly stuck: number;
  /** From the first enqueue until every id was performed, ms (undefined: never drained). */
  readonly drainMs: number | undefined;
  /** Longest time from the end of a fault until work resumed, ms (meaning per scenario; `Infinity`: never; undefined: not measured). */
  readonly resumeMs: number | undefined;
  /** Highest RSS any Kiq server process reported, bytes. */
  readonly peakRss: number;
  /** Further scenario-specific figures, printed as `key=value`. */
  readonly extra: Readonly<Record<string, string | number>>;
  /** Each violation of the end state, in words; empty when the run passed. */
  readonly failures: readonly string[];
}

/** `12.3s`; `never` for Infinity; `missing` for undefined. */
export const seconds = (ms: number | undefined, missing = 'never'): string =>
  ms === undefined ? missing : Number.isFinite(ms) ? `${(ms / 1000).toFixed(1)}s` : 'never';

/** `scenario: lost=0 duplicated=3 stuck=0 drain=12.3s resume=1.2s rss=120MB k=v … OK|FAIL (why; …)` */
export function formatFigures(f: Figures): string {
  const extra = Object.entries(f.extra).map(([k, v]) => `${k}=${v}`);
  const verdict = f.failures.length === 0 ? 'OK' : `FAIL (${f.failures.join('; ')})`;
  return [
    `${f.scenario}:`,
    `lost=${f.lost}`,
    `duplicated=${f.duplicated}`,
    `stuck=${f.stuck}`,
    `drain=${seconds(f.drainMs)}`,
    `resume=${seconds(f.resumeMs, 'n/a')}`,
    `rss=${Math.round(f.peakRss / 2 ** 20)}MB`,
    ...extra,
    verdict,
  ].join(' ');
}

/** The violations every scenario shares: a lost job, a stuck private list, no drain. */
export function commonFailures(f: Pick<Figures, 'lost' | 'stuck' | 'drainMs'>): string[] {
  const out: string[] = [];
  if (f.lost > 0) out.push(`${f.lost} job(s) lost`);
  if (f.stuck > 0) out.push(`${f.stuck} job(s) still in private lists after the settle window`);
  if (f.drainMs === undefined && f.lost === 0) out.push('did not drain');
  return out;
}
