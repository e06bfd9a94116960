/**
 * Leadership as processes believed it: each reports its `leader` events
 * with its own `Date.now()` (one wall clock on one host), so their intervals
 * can be put on one time line and checked for overlap. Used by the cluster
 * test (test/server/cluster.test.ts) and the fault suite (test/chaos/).
 */

/** One `leader` event a process reported, on its own clock. */
export interface BelievedChange {
  readonly leader: boolean;
  /** The process's `Date.now()` when the event fired. */
  readonly at: number;
}

/** What these helpers need of a process (a chaos KiqProcess or a cluster member fits): its `leader` events and when it died. */
export interface Believer {
  readonly changes: readonly BelievedChange[];
  readonly diedAt: number | undefined;
  /** `label` names the process in the overlap descriptions. */
  readonly options: { readonly label: string };
}

/** A process's leadership intervals [from, to); an open one ends when it died, or at `openEnd`. */
export function leadershipIntervals(process: Believer, openEnd: number): [number, number][] {
  const out: [number, number][] = [];
  let from: number | undefined;
  for (const change of process.changes) {
    if (change.leader && from === undefined) from = change.at;
    else if (!change.leader && from !== undefined) {
      out.push([from, change.at]);
      from = undefined;
    }
  }
  if (from !== undefined) out.push([from, process.diedAt ?? openEnd]);
  return out;
}

/** Every pair of overlapping intervals of two different processes, described; empty when none. */
export function leadershipOverlaps(processes: readonly Believer[], openEnd = Date.now()): string[] {
  const all = processes.flatMap((p) => leadershipIntervals(p, openEnd).map(([from, to]) => ({ p, from, to })));
  const found: string[] = [];
  all.forEach((a, i) => {
    for (const b of all.slice(i + 1)) {
      if (a.p !== b.p && a.from < b.to && b.from < a.to) {
        found.push(`${a.p.options.label} led [${a.from}, ${a.to}) and ${b.p.options.label} led [${b.from}, ${b.to})`);
      }
    }
  });
  return found;
}

/** How many terms (a `leader: true` after not leading) all processes won together. */
export function leadershipTerms(processes: readonly Believer[]): number {
  return processes.reduce((n, p) => n + leadershipIntervals(p, Date.now()).length, 0);
}
