/**
 * @internal
 * The simulated clock lives beside src/clock.ts (the library never imports
 * `src/testing/`); re-exported here for the harness and `kiq/testing`.
 */
export { HarnessClock, isTimerClock, type TimerClock } from '../simulated-clock.js';
