/**
 * @internal
 * The actor tree as `buildTree` (src/tree.ts) builds it, found without
 * starting anything: `initialTransition` (xstate's pure step) computes each
 * machine's initial snapshot, whose `children` are the actors it spawns or
 * invokes on start — created, never started, so no timer and no IO. Walked
 * recursively, that is the tree a running Kiq has right after `start()`.
 * Only statecharts are kept: the short-lived promise actors of IO calls
 * (`flush`, `fetch`, `tick`…) appear in the diagrams as invokes instead.
 */
import { fromPromise, initialTransition, StateMachine, type AnyActorLogic, type AnyActorRef, type AnyStateMachine, type AnyStateNode } from 'xstate';
import { resolveConfig } from '../config/resolve.js';
import type { KiqOptions } from '../config/options.js';
import type { ConnectionPool } from '../redis/connections.js';
import { KiqEmitter } from '../events.js';
import { FetchWatch } from '../health/fetch-watch.js';
import { ProblemBoard } from '../redis/outage-log.js';
import { HEARTBEAT_EVERY_MS } from '../server/heartbeat.js';
import { NO_HOOKS } from '../job-events.js';
import { Liveness } from '../server/liveness.js';
import { buildTree, type ServerIO } from '../tree.js';

/** One statechart actor of the tree. */
export interface TreeNode {
  /** Its id among its siblings (`queue:default`, `fetcher`). */
  readonly id: string;
  /** Its system-wide name, when it has one. */
  readonly systemId: string | undefined;
  readonly machine: AnyStateMachine;
  /** Its statechart children, in start order. */
  readonly children: readonly TreeNode[];
}

/** The configuration the generated tree is drawn for. */
export const EXAMPLE_OPTIONS: KiqOptions = { queues: { default: 2, mailers: 1 } };

/**
 * The root supervisor `buildTree` makes for `options`, bound to IO that is
 * never called (nothing is started): a flush that writes nothing, a beat
 * that beats nothing, a pool object with no connection.
 */
export function exampleRoot(options: KiqOptions = EXAMPLE_OPTIONS): AnyStateMachine {
  const config = resolveConfig({ identity: 'example', redisUrl: 'redis://127.0.0.1:6379', ...options }, {});
  const flush = fromPromise(async () => ({ written: 0, remaining: 0 }));
  const pool = {} as ConnectionPool;
  const server: ServerIO = {
    pool,
    hooks: NO_HOOKS,
    beat: fromPromise(async () => ({ nextDelay: HEARTBEAT_EVERY_MS })),
    emitter: new KiqEmitter(config.logger),
    leader: { isLeader: () => false },
    onLeadership: () => undefined,
    board: new ProblemBoard(),
    liveness: new Liveness(pool, config.identity, config.livenessTtl, config.clock),
    watch: new FetchWatch(config.clock),
  };
  return buildTree(config, { client: { flush, enqueuePeriodic: () => Promise.reject(new Error('example tree')) }, ...(config.server ? { server } : {}) });
}

/** The statechart tree rooted at `machine` started with `input`, as its initial snapshots spawn it. */
export function describeTree(machine: AnyStateMachine, input: unknown, id: string, systemId?: string): TreeNode {
  const [snapshot] = initialTransition(machine as AnyActorLogic, input as never);
  const children: TreeNode[] = [];
  for (const [childId, ref] of Object.entries((snapshot as { children?: Record<string, AnyActorRef> }).children ?? {})) {
    const actor = ref as AnyActorRef & { logic?: unknown; options?: { input?: unknown }; systemId?: string };
    if (!(actor.logic instanceof StateMachine)) continue;
    children.push(describeTree(actor.logic, actor.options?.input, childId, actor.systemId));
  }
  return { id, systemId, machine, children };
}

/** The tree of a Kiq started with `options` (default {@link EXAMPLE_OPTIONS}); the root is `kiq`. */
export function exampleTree(options: KiqOptions = EXAMPLE_OPTIONS): TreeNode {
  const quiet = options.quiet ?? false;
  return describeTree(exampleRoot(options), { quiet }, 'kiq', 'kiq');
}

/** Every actor this machine's states invoke, in definition order, without repeats. */
export function invokedSources(machine: AnyStateMachine): string[] {
  const seen: string[] = [];
  const walk = (node: AnyStateNode): void => {
    for (const invoke of node.invoke as { src: unknown; id: string }[]) {
      const name = typeof invoke.src === 'string' && !invoke.src.startsWith('xstate.invoke.') ? invoke.src : invoke.id;
      if (!seen.includes(name)) seen.push(name);
    }
    for (const child of Object.values(node.states) as AnyStateNode[]) walk(child);
  };
  walk(machine.root);
  return seen;
}

/** `parent/child` paths of every node, depth first: `kiq`, `kiq/flusher`, `kiq/queue:default/fetcher`… */
export function treePaths(node: TreeNode, prefix = ''): string[] {
  const path = prefix ? `${prefix}/${node.id}` : node.id;
  return [path, ...node.children.flatMap((child) => treePaths(child, path))];
}
