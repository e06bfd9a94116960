/**
 * Controllable IO actors and time helpers for statechart tests on
 * xstate's SimulatedClock: no Redis, no real waiting.
 */
import { fromPromise, type SimulatedClock } from 'xstate';

/** One call of a fake IO actor, settled by the test. */
export interface Call<I, O> {
  readonly input: I;
  /** Simulated time of the call. */
  readonly at: number;
  readonly signal: AbortSignal;
  resolve(output: O): void;
  reject(error: Error): void;
}

/**
 * A controllable `fromPromise` actor (`logic`), or plain call (`call`): every
 * call stays pending until the test settles it. `log`, when given, gets `"<name> <input JSON>"` per call.
 */
export function fakeIO<I, O>(clock: SimulatedClock, name: string, log?: string[]) {
  const calls: Call<I, O>[] = [];
  const record = (input: I, signal: AbortSignal) =>
    new Promise<O>((resolve, reject) => {
      log?.push(`${name} ${JSON.stringify(input)}`);
      calls.push({ input, at: clock.now(), signal, resolve, reject });
    });
  const logic = fromPromise<O, I>(({ input, signal }) => record(input, signal));
  /** The same, as a plain call (machines/fetcher-io.ts); its signal never aborts. */
  const call = (input: I): Promise<O> => record(input, new AbortController().signal);
  const last = (): Call<I, O> => {
    const call = calls.at(-1);
    if (!call) throw new Error(`no ${name} call was made`);
    return call;
  };
  return { logic, call, calls, last };
}

/** Let promise callbacks and what they trigger run (no real waiting). */
export async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve));
}

/** Move the simulated clock (firing due xstate timers), then settle. */
export async function advance(clock: SimulatedClock, ms: number): Promise<void> {
  clock.increment(ms);
  await settle();
}
