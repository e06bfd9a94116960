/**
 * The shape of the scenario-style interop files: one scenario runs in
 * `before` (skipped when Ruby Sidekiq is missing) and records what it saw;
 * each `it` then checks one property of that record, so one wire problem
 * fails one test instead of hiding the others. (`useRedis` flushes the
 * database before every `it`: the tests read the record, never Redis.)
 */
import type { Kiq } from '../../src/index.js';
import type { TestRedis } from '../support/redis.js';
import { requireSidekiqOrSkip } from './sidekiq.js';

/**
 * A scenario: runs against `redis`, hands every Kiq it starts to `onKiq`
 * (so a run that fails half-way still has it stopped) and resolves to its
 * record.
 */
export type Scenario<T> = (redis: TestRedis, onKiq: (kiq: Kiq) => void) => Promise<T>;

/** Options of {@link recordScenario}. */
export interface RecordScenarioOptions {
  /** Runs in `after` before the Kiq is stopped (e.g. release jobs the scenario holds). */
  readonly beforeStop?: () => void;
}

/**
 * Registers a `before` that runs `scenario` once and an `after` that stops
 * the Kiq it started; returns the record's getter for the `it`s. The
 * `after` ignores a rejected stop: the scenario stops its Kiq itself, so a
 * stop that failed there already failed the `before`.
 */
export function recordScenario<T>(redis: TestRedis, scenario: Scenario<T>, options: RecordScenarioOptions = {}): () => T {
  let kiq: Kiq | undefined;
  let record: { value: T } | undefined;
  before(async function () {
    requireSidekiqOrSkip(this);
    record = { value: await scenario(redis, (instance) => (kiq = instance)) };
  });
  after(async () => {
    options.beforeStop?.();
    await kiq?.stop().catch(() => undefined);
  });
  return () => {
    if (!record) throw new Error('recordScenario: the scenario has not run (read the record inside an `it`)');
    return record.value;
  };
}
