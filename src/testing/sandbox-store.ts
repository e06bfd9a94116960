/**
 * @internal
 * The sandbox store lives with the client (src/client/sandbox-store.ts), the
 * sink of `testMode: 'sandbox'`; re-exported here for `kiq/testing`.
 */
export { SandboxStore, type SandboxJob } from '../client/sandbox-store.js';
