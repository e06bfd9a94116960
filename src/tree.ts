/**
 * @internal
 * Assembles the actor tree of one Kiq instance from its configuration: the
 * root one-for-one supervisor and its child specs, in start order (DESIGN.md
 * §3). Children are bound to their IO here with `.provide()`; machines/
 * stays pure.
 */
import type { AnyActorLogic } from 'xstate';
import type { ChildSpec } from '../machines/child-spec.js';
import { flusherMachine } from '../machines/flusher.js';
import { createSupervisor } from '../machines/supervisor.js';
import type { ResolvedConfig } from './config/options.js';

/** The IO a tree needs, built by the facade. */
export interface TreeIO {
  /** The Flusher's `flush` actor (reliable push). */
  readonly flush: AnyActorLogic;
}

/** Build the root supervisor for `config`. */
export function buildTree(config: ResolvedConfig, io: TreeIO) {
  const children: ChildSpec[] = [
    {
      id: 'flusher',
      systemId: 'flusher',
      logic: flusherMachine.provide({ actors: { flush: io.flush as never } }),
      input: { interval: config.flushInterval, maxInterval: config.flushMaxInterval },
      restart: 'permanent',
      // the final flush may retry until stop()'s timeout
      shutdown: config.shutdownTimeout,
    },
  ];
  return createSupervisor({
    id: 'kiq',
    children,
    maxRestarts: config.maxRestarts,
    maxSeconds: config.restartWindow / 1000,
    now: () => config.clock.monoMs(),
  });
}
