/**
 * Configuration: the options `new Kiq()` takes, their defaults and
 * validation, and the frozen config the runtime reads. Layering order, as in
 * Kiq: defaults → constructor options (`resolveConfig`, at construction) →
 * async `init` hook (`applyInit`, at start).
 */
export type * from './options.js';
export { DEFAULT_REDIS_URL, DEFAULTS } from './defaults.js';
export { newIdentity } from './identity.js';
export { applyInit, resolveConfig, type Env } from './resolve.js';
export { checkCron, checkJobOptions } from './validate.js';
export { MAX_TIMER_MS } from '../../machines/timer-limit.js';
