/**
 * setTimeout's limit, for every chart and option that ends in a timer:
 * Node turns a longer delay (or NaN) into 1 ms (TimeoutOverflowWarning), so a
 * timer that should wait weeks would fire at once. A leaf with no imports:
 * the charts and src/config share it.
 */

/** The longest delay a timer can hold, ms (2^31 - 1). */
export const MAX_TIMER_MS = 2_147_483_647;
