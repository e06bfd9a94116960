/**
 * @internal
 * Symbols for internal state shared between the facade and `kiq/testing`,
 * declared once (fastify `lib/symbols.js`). Not part of the public API.
 */

/** The sandbox store of a Kiq instance in `testMode: 'sandbox'`. */
export const kSandbox: unique symbol = Symbol('kiq.sandbox');
/** The resolved configuration (with workers) of a Kiq instance. */
export const kConfig: unique symbol = Symbol('kiq.config');
/** The client (src/client/client.ts) behind a Kiq instance's `enqueue`, `flush` and `clearAll`. */
export const kClient: unique symbol = Symbol('kiq.client');
