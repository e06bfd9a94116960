/**
 * The Node half of the mixed example (see README.md next to this file), a
 * worker module for `kiq work`:
 *
 *   REDIS_URL=redis://127.0.0.1:6379 npm run kiq -- work -r test/examples/mixed-ruby-node/node-worker.ts -q shipping
 *
 * `Shipment` is performed by Node (Ruby pushes it by class name); `Invoice`
 * names the Ruby worker so Node can enqueue it without defining it.
 */
import { defineWorker, type Kiq } from '../../../src/index.js';

/** Order ids shipped by this process, oldest first (for the test). */
export const shipped: string[] = [];

export const Shipment = defineWorker({
  class: 'Shipment',
  queue: 'shipping',
  async perform([orderId]: [string], ctx) {
    ctx.logger.info(`shipping order ${orderId}`);
    shipped.push(orderId);
  },
});

/** Enqueue the Ruby worker `Billing::Invoice` (defined in worker.rb) from Node. */
export function invoice(kiq: Kiq, orderId: string, amountCents: number) {
  return kiq.enqueue({ class: 'Billing::Invoice', queue: 'billing', args: [orderId, amountCents] }, { confirm: true });
}
