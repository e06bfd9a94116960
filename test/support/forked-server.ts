/**
 * The child's side of a Kiq server process a test forks with an IPC channel
 * (`child_process.fork`): test/server/fixtures/cluster-server.ts and the
 * fault suite's test/chaos/fixtures/server.ts.
 */
import type { Kiq } from '../../src/index.js';

/** The environment variable `name`; throws, naming the fixture `who`, when it is unset or empty. */
export function requireEnv(name: string, who: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${who}: ${name} is not set`);
  return value;
}

/**
 * Resolves once `message` is handed to the IPC channel (so exiting after it
 * does not drop it); at once when the parent is gone (it SIGKILLs us, or it
 * crashed): nothing to tell then.
 */
export function sendToParent(message: object): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send || !process.connected) return resolve();
    process.send(message, undefined, {}, () => resolve());
  });
}

/**
 * On the parent's first `{ type: 'stop' }`: `kiq.stop()`, then
 * `{ type: 'stopped' }` to the parent and exit 0; if the stop rejects, the
 * message `failure(error)` makes and exit 1.
 */
export function stopOnParentCommand(kiq: Kiq, failure: (error: unknown) => object): void {
  let stopping = false;
  process.on('message', (message: { readonly type?: unknown }) => {
    if (message.type !== 'stop' || stopping) return;
    stopping = true;
    kiq.stop().then(
      () => sendToParent({ type: 'stopped' }).then(() => process.exit(0)),
      (error: unknown) => sendToParent(failure(error)).then(() => process.exit(1)),
    );
  });
}
