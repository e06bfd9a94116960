/**
 * @internal
 * What Kiq's job metrics share, Prometheus (src/health/prometheus.ts) and
 * OpenTelemetry (src/otel/metrics.ts) alike: the duration buckets and the
 * bound on `class` label values. Free of any metrics library.
 */

/** Distinct `class` label values per queue; past it, jobs count under `class="other"`. */
export const MAX_CLASSES = 200;

/** `kiq_job_duration_seconds` buckets, s: 5 ms to 10 min. */
export const DURATION_BUCKETS: readonly number[] = Object.freeze([0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600]);

/**
 * The `class` label of a job on a queue: the first {@link MAX_CLASSES}
 * names seen on that queue are kept, later ones are `other`.
 *
 * @example
 * const labels = new ClassLabels();
 * labels.of('default', 'Mailer'); // 'Mailer'
 */
export class ClassLabels {
  readonly #seen = new Map<string, Set<string>>();

  /** `name`, or `other` once `queue` has {@link MAX_CLASSES} other names. */
  of(queue: string, name: string): string {
    let names = this.#seen.get(queue);
    if (names === undefined) {
      names = new Set();
      this.#seen.set(queue, names);
    }
    if (names.has(name)) return name;
    if (names.size >= MAX_CLASSES) return 'other';
    names.add(name);
    return name;
  }
}
