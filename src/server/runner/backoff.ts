/**
 * @internal
 * When a failed job runs again (docs/sidekiq-contract.md §5.2): Sidekiq
 * 6.4–7.3's `delay_for`, not Kiq's (docs/kiq-elixir.md bug 11: Kiq adds
 * where Sidekiq multiplies).
 */
import { logEvent, type Logger } from '../../logger.js';
import type { Worker } from '../../worker.js';

/**
 * Sidekiq's default delay before retry number `count` (0 on the first
 * failure), without jitter: `count⁴ + 15` seconds.
 *
 * @example
 * defaultDelaySec(0); // 15
 * defaultDelaySec(3); // 96
 */
export function defaultDelaySec(count: number): number {
  return count ** 4 + 15;
}

/**
 * Sidekiq 6.4–7.3's jitter: `rand(10) * (count + 1)` seconds, with
 * `rand(10)` = `Math.floor(random() * 10)`, held to 0..9 whatever `random`
 * returns.
 *
 * @example
 * jitterSec(2, () => 0.55); // 5 * 3 = 15
 */
export function jitterSec(count: number, random: () => number): number {
  const r = Math.floor(random() * 10);
  const digit = Number.isFinite(r) ? Math.min(9, Math.max(0, r)) : 0;
  return digit * (count + 1);
}

/**
 * Seconds until retry number `count` runs: the worker's `retryIn(count,
 * thrown)` (ms) when it returns a finite number above 0, else `count⁴ + 15`;
 * plus {@link jitterSec} either way (Sidekiq 6.4 `delay_for`: a custom
 * `sidekiq_retry_in` replaces only the base). A `retryIn` that throws or
 * returns 0, a negative number or a non-number falls back to the default,
 * as Sidekiq does (the throw is logged). `thrown` is the value `perform`
 * threw, as it was thrown. Never throws.
 *
 * @example
 * retryDelaySec(0, new Error('x'), undefined, () => 0.2); // 15 + 2 = 17 (the 17.0 s seen in §14)
 * retryDelaySec(1, err, { ...worker, retryIn: () => 60_000 }, () => 0); // 60
 */
export function retryDelaySec(
  count: number,
  thrown: unknown,
  worker: Worker | undefined,
  random: () => number,
  logger?: Logger,
): number {
  const jitter = jitterSec(count, random);
  const customMs = customDelayMs(count, thrown, worker, logger);
  return (customMs === undefined ? defaultDelaySec(count) : customMs / 1000) + jitter;
}

function customDelayMs(count: number, thrown: unknown, worker: Worker | undefined, logger: Logger | undefined): number | undefined {
  if (worker?.retryIn === undefined) return undefined;
  let ms: unknown;
  try {
    ms = worker.retryIn(count, thrown);
  } catch (error) {
    logEvent(logger, 'warn', 'retry_in_failed', {
      worker: worker.class,
      error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
      note: 'falling back to the default delay',
    });
    return undefined;
  }
  return typeof ms === 'number' && Number.isFinite(ms) && ms > 0 ? ms : undefined;
}
