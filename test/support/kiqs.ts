/**
 * The Kiq instances a describe block starts on the test Redis, each stopped
 * after the test that started it. Call {@link useKiqs} after registering the
 * `afterEach` hooks that must run before the stops (e.g. releasing a job
 * the stop would wait for): mocha runs them in the order registered.
 */
import { Kiq, type KiqOptions } from '../../src/index.js';
import { silent } from './logger.js';

/** What {@link useKiqs} gives a describe block. */
export interface TestKiqs {
  /** A new Kiq with the block's defaults overridden by `options`, started; stopped after the test. */
  start(options?: KiqOptions): Promise<Kiq>;
  /** Keep a Kiq made elsewhere (started or not) for the stop after the test; returns it. */
  track(kiq: Kiq): Kiq;
}

/**
 * Registers an `afterEach` that stops, in order, every Kiq the test started
 * (`stop({ timeout: stopTimeoutMs })`, or the Kiq's own shutdownTimeout;
 * a rejected stop is ignored: the test asserts what it expects of stop()).
 * `defaults` is read per Kiq (inside the test, where `redis.url` is known);
 * each Kiq gets its own quiet logger unless the options name one.
 */
export function useKiqs(defaults: () => KiqOptions, stopTimeoutMs?: number): TestKiqs {
  const kiqs: Kiq[] = [];
  afterEach(async () => {
    for (const kiq of kiqs.splice(0)) await kiq.stop(stopTimeoutMs === undefined ? {} : { timeout: stopTimeoutMs }).catch(() => undefined);
  });
  const track = (kiq: Kiq) => {
    kiqs.push(kiq);
    return kiq;
  };
  return {
    track,
    async start(options = {}) {
      const kiq = track(new Kiq({ logger: silent(), ...defaults(), ...options }));
      await kiq.start();
      return kiq;
    },
  };
}
