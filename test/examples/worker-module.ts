/**
 * Example: a worker module for `kiq work`. Every exported worker is loaded;
 * `options` (optional) is merged into the server's `KiqOptions`.
 *
 *   REDIS_URL=redis://127.0.0.1:6379 npm run kiq -- work -r test/examples/worker-module.ts -q default
 *   npm run kiq -- enqueue Greeter '["Ada"]'
 *
 * Run by test/examples/worker-module.test.ts.
 */
import { defineWorker, type KiqOptions } from '../../src/index.js';

export const Greeter = defineWorker({
  class: 'Greeter',
  queue: 'default',
  retry: 3,
  async perform([name]: [string], ctx) {
    ctx.logger.info(`hello, ${name} (jid ${ctx.jid})`);
    console.log(`greeted ${name}`);
  },
});

export const options: KiqOptions = { shutdownTimeout: 5_000 };
