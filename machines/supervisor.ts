/**
 * One-for-one supervisor (Erlang/OTP `:one_for_one`) as an xstate v5 machine.
 *
 * 1. Start: spawn every child spec in list order. A configurable child gets the supervisor's
 *    config (its own input, then every `configure` since) merged into its input.
 * 2. Running: a child exit (`xstate.error.actor.<id>`, `xstate.done.actor.<id>`, or
 *    `{ type: 'child.exited', id }`) is matched against the child's restart type. A restart
 *    replaces only that child (stopChild + spawnChild under the same id and systemId); its
 *    siblings keep their refs. Each restart is stamped with the injected `now()`.
 * 3. Intensity: the restart that would make more than `maxRestarts` restarts within the last
 *    `maxSeconds` is not performed; the supervisor escalates instead (4, then 6).
 * 4. Shutting down (on `shutdown`, or on escalation): children are stopped one at a time in
 *    reverse start order. Each gets `{ type: 'shutdown' }` and its `shutdown` ms to exit
 *    (final state, crash or `child.exited`), then is stopped; `brutal_kill` stops it at once.
 *    Nothing is restarted any more.
 * 5. Finishing: one scheduler hop (`after: 0`) so the deferred stops of the last step have run.
 * 6. Then either `stopped` (final; output `{ reason: 'normal' }`, the parent sees
 *    `xstate.done.actor.<id>`), or `failed`: the supervisor sends itself `xstate.error` with an
 *    `EscalationError`, handles nothing there, and so ends in status `'error'`; its parent sees
 *    `xstate.error.actor.<id>`, a root actor calls its error observer. It never throws from an
 *    action: that would leave children running (docs/architecture.md §6 items 1, 2).
 *
 * `configure` is accepted in every state: merged into `context.config` and forwarded to live
 * configurable children (a nested supervisor forwards it further down).
 *
 * Pure: no IO, no `Date.now`; restart times come from the injected `now`, timeouts from xstate
 * delays, so a `SimulatedClock` drives everything in tests.
 */
import { and, assign, enqueueActions, setup, type DoneActorEvent, type ErrorActorEvent } from 'xstate';
import { EscalationError } from '../src/errors.js';
import {
  DEFAULT_SHUTDOWN_MS,
  describeExit,
  exitOf,
  mergeConfig,
  spawnFromSpec,
  validateSupervisorOptions,
  wantsRestart,
  type ChildExit,
  type ChildExitedEvent,
  type ChildSpec,
  type ConfigureEvent,
  type RestartType,
  type ShutdownEvent,
  type SupervisorConfig,
} from './child-spec.js';
import { Tag } from './tags.js';

export type {
  ChildExit,
  ChildExitedEvent,
  ChildSpec,
  ConfigureEvent,
  RestartType,
  ShutdownEvent,
  ShutdownSpec,
  SupervisorConfig,
} from './child-spec.js';

/** Options of {@link createSupervisor}. */
export interface SupervisorOptions {
  /** Machine id; names the supervisor in escalation errors. */
  id: string;
  /** Children, in start order (stopped in reverse). */
  children: readonly ChildSpec[];
  /** Restarts tolerated within `maxSeconds`; one more escalates. Default 3 (Elixir's default). */
  maxRestarts?: number;
  /** Length of the restart-intensity window, in seconds. Default 5 (Elixir's default). */
  maxSeconds?: number;
  /**
   * Monotonic milliseconds, used only to stamp restarts (`machines/` never reads the wall clock):
   * `systemClock.monoMs` in production, the `SimulatedClock`'s `now` in tests.
   */
  now: () => number;
}

/**
 * Input of a supervisor actor: its initial config (how a restarted nested supervisor stays quiet).
 * Optional. (`void` rather than `undefined`: xstate's `setup` drops `undefined` from the input
 * type, which would make `input` mandatory for `createActor` and `invoke`.)
 */
export type SupervisorInput = SupervisorConfig | void;

/** What the inspector shows for a supervisor. */
export interface SupervisorContext {
  /** Ids of live children in start order; shutdown walks it backwards. */
  order: string[];
  /** Restarts performed per child id since the supervisor started. */
  restartCount: Record<string, number>;
  /** `now()` stamps of the restarts still inside the intensity window. */
  restarts: number[];
  /** Merged config: the input, then every `configure` received. */
  config: SupervisorConfig;
  /** During shutdown: children still to stop, the one being stopped first. */
  stopQueue: string[];
  /** `null` while running; `'normal'` after `shutdown`; the escalation message otherwise. */
  reason: string | null;
  /** The last child exit seen while running (kept for the escalation error's `cause`). */
  lastExit: ChildExit | null;
}

/** Every event a supervisor handles, including xstate's exit notifications from its children. */
export type SupervisorEvent = ShutdownEvent | ConfigureEvent | ChildExitedEvent | DoneActorEvent | ErrorActorEvent;

/** Output of a supervisor that stopped on `shutdown`. */
export type SupervisorOutput = { reason: 'normal' };

/**
 * Builds a one-for-one supervisor machine from child specs (see the lifecycle above).
 * Throws a TypeError at once for invalid options, never later from inside the machine.
 *
 * @example
 * const kiq = createActor(
 *   createSupervisor({ id: 'kiq', now: systemClock.monoMs, children: [
 *     { id: 'flusher', systemId: 'flusher', logic: flusher },
 *     { id: 'queue:default', logic: queue, input: { name: 'default' }, configurable: true, shutdown: 25_000 },
 *   ] }),
 *   { id: 'kiq' },
 * );
 * kiq.subscribe({ error: (err) => facade.fail(err) }); // EscalationError when the tree gives up
 * kiq.start();
 * kiq.send({ type: 'configure', quiet: true });
 * kiq.send({ type: 'shutdown' }); // done with output { reason: 'normal' }
 */
export function createSupervisor(options: SupervisorOptions) {
  const { id, children, maxRestarts = 3, maxSeconds = 5, now } = options;
  validateSupervisorOptions({ id, children, maxRestarts, maxSeconds, now });

  const specs = new Map(children.map((c) => [c.id, c]));
  const windowMs = maxSeconds * 1000;
  const restartOf = (childId: string): RestartType => specs.get(childId)?.restart ?? 'permanent';
  const shutdownOf = (childId: string | undefined) =>
    (childId === undefined ? undefined : specs.get(childId)?.shutdown) ?? DEFAULT_SHUTDOWN_MS;
  // Erlang counts a restart while `now - stamp <= period`; the new restart is counted too.
  const restartsInWindow = (stamps: readonly number[], t: number) => stamps.filter((s) => t - s <= windowMs);
  const isLive = (context: SupervisorContext, exit: ChildExit | null): exit is ChildExit =>
    exit !== null && context.order.includes(exit.id);
  const machineSetup = setup({
    types: {
      input: {} as SupervisorInput,
      context: {} as SupervisorContext,
      events: {} as SupervisorEvent,
      output: {} as SupervisorOutput,
      tags: {} as Tag,
    },
    guards: {
      /** Exit of a child we no longer track (already stopped or forgotten): ignore it. */
      isUnknownChild: ({ context, event }) => !isLive(context, exitOf(event)),
      wantsRestart: ({ context, event }) => {
        const exit = exitOf(event);
        return isLive(context, exit) && wantsRestart(restartOf(exit.id), exit.kind);
      },
      /** This restart would be one too many within the window. */
      intensityExceeded: ({ context }) => restartsInWindow(context.restarts, now()).length + 1 > maxRestarts,
      isHeadExit: ({ context, event }) => exitOf(event)?.id === context.stopQueue[0],
      isStopQueueEmpty: ({ context }) => context.stopQueue.length === 0,
      isNormalStop: ({ context }) => context.reason === 'normal',
    },
    delays: {
      headShutdownTimeout: ({ context }) => {
        const shutdown = shutdownOf(context.stopQueue[0]);
        return shutdown === 'brutal_kill' ? 0 : shutdown;
      },
    },
    actions: {
      startChildren: enqueueActions(({ enqueue, context }) => {
        for (const childId of context.order) {
          spawnFromSpec(enqueue, specs.get(childId)!, context.config);
        }
      }),
      /** Replace only the exited child: drop its ref, spawn a fresh one under the same id. */
      restartChild: enqueueActions(({ enqueue, context, event }) => {
        const exit = exitOf(event)!;
        const t = now();
        enqueue.stopChild(exit.id);
        spawnFromSpec(enqueue, specs.get(exit.id)!, context.config);
        enqueue.assign({
          restarts: [...restartsInWindow(context.restarts, t), t],
          restartCount: { ...context.restartCount, [exit.id]: (context.restartCount[exit.id] ?? 0) + 1 },
          lastExit: exit,
        });
      }),
      /** The child exited for good (temporary, or transient that completed). */
      forgetChild: enqueueActions(({ enqueue, context, event }) => {
        const exit = exitOf(event)!;
        enqueue.stopChild(exit.id);
        enqueue.assign({ order: context.order.filter((x) => x !== exit.id), lastExit: exit });
      }),
      planShutdown: assign({ stopQueue: ({ context }) => [...context.order].reverse(), reason: 'normal' }),
      /** Too many restarts: the exited child stays down, the others are shut down in order. */
      planEscalation: enqueueActions(({ enqueue, context, event }) => {
        const exit = exitOf(event)!;
        const order = context.order.filter((x) => x !== exit.id);
        enqueue.stopChild(exit.id);
        enqueue.assign({
          order,
          stopQueue: [...order].reverse(),
          lastExit: exit,
          reason: `${id}: reached max restart intensity (${maxRestarts} restarts in ${maxSeconds}s); last exit: ${describeExit(exit)}`,
        });
      }),
      /** `brutal_kill` children at the head of the queue are stopped without asking. */
      killBrutalHeads: enqueueActions(({ enqueue, context }) => {
        const killed: string[] = [];
        for (const childId of context.stopQueue) {
          if (shutdownOf(childId) !== 'brutal_kill') break;
          enqueue.stopChild(childId);
          killed.push(childId);
        }
        if (killed.length === 0) return;
        enqueue.assign({
          stopQueue: context.stopQueue.slice(killed.length),
          order: context.order.filter((x) => !killed.includes(x)),
        });
      }),
      askHeadToShutdown: enqueueActions(({ enqueue, context }) => {
        const head = context.stopQueue[0];
        if (head !== undefined) enqueue.sendTo(head, { type: 'shutdown' } satisfies ShutdownEvent);
      }),
      /** The head exited or ran out of time: stop it (or drop its dead ref) and move on. */
      stopHead: enqueueActions(({ enqueue, context }) => {
        const [head, ...rest] = context.stopQueue;
        if (head === undefined) return;
        enqueue.stopChild(head);
        enqueue.assign({ stopQueue: rest, order: context.order.filter((x) => x !== head) });
      }),
      /** A child other than the head exited during shutdown: it is not restarted, nor waited for. */
      dropChild: enqueueActions(({ enqueue, context, event }) => {
        const exit = exitOf(event)!;
        enqueue.stopChild(exit.id);
        enqueue.assign({
          order: context.order.filter((x) => x !== exit.id),
          stopQueue: context.stopQueue.filter((x) => x !== exit.id),
        });
      }),
      /** Remember the config and pass the event on to every live configurable child. */
      configure: enqueueActions(({ enqueue, context, event }) => {
        enqueue.assign({ config: mergeConfig(context.config, event) });
        for (const childId of context.order) if (specs.get(childId)?.configurable) enqueue.sendTo(childId, event);
      }),
      /**
       * Fail without throwing: `sendTo` turns `xstate.error` into `xstate.error.actor.<own id>`,
       * which the `failed` state does not handle, so the actor ends in status 'error' and the
       * error goes to the parent (or the root's error observer).
       */
      failCleanly: enqueueActions(({ enqueue, context, self }) => {
        const cause = context.lastExit?.kind === 'crashed' ? context.lastExit.error : undefined;
        const error = new EscalationError(context.reason ?? `${id}: escalated`, { cause });
        enqueue.sendTo(self, { type: 'xstate.error', data: error } as unknown as SupervisorEvent);
      }),
    },
  });

  // The same decision for a crash, a completion and a reported exit (step 2 of the lifecycle).
  const onChildExit = [
    { guard: 'isUnknownChild' },
    { guard: and(['wantsRestart', 'intensityExceeded']), target: 'shuttingDown', actions: 'planEscalation' },
    { guard: 'wantsRestart', actions: 'restartChild' },
    { actions: 'forgetChild' },
  ] as const;

  return machineSetup.createMachine({
    id,
    context: ({ input }) => ({
      order: children.map((c) => c.id),
      restartCount: Object.fromEntries(children.map((c) => [c.id, 0])),
      restarts: [],
      config: mergeConfig({}, input ?? undefined),
      stopQueue: [],
      reason: null,
      lastExit: null,
    }),
    on: { configure: { actions: 'configure' } },
    initial: 'running',
    states: {
      running: {
        entry: 'startChildren',
        on: {
          'xstate.error.actor.*': onChildExit,
          'xstate.done.actor.*': onChildExit,
          'child.exited': onChildExit,
          shutdown: { target: 'shuttingDown', actions: 'planShutdown' },
        },
      },
      shuttingDown: {
        tags: [Tag.stopping],
        initial: 'next',
        on: {
          'xstate.error.actor.*': [{ guard: 'isUnknownChild' }, { actions: 'dropChild' }],
          'xstate.done.actor.*': [{ guard: 'isUnknownChild' }, { actions: 'dropChild' }],
          'child.exited': [{ guard: 'isUnknownChild' }, { actions: 'dropChild' }],
        },
        states: {
          next: {
            entry: 'killBrutalHeads',
            always: [{ guard: 'isStopQueueEmpty', target: 'drained' }, { target: 'waiting' }],
          },
          waiting: {
            entry: 'askHeadToShutdown',
            after: { headShutdownTimeout: { target: 'next', actions: 'stopHead' } },
            on: {
              'xstate.error.actor.*': { guard: 'isHeadExit', target: 'next', actions: 'stopHead' },
              'xstate.done.actor.*': { guard: 'isHeadExit', target: 'next', actions: 'stopHead' },
              'child.exited': { guard: 'isHeadExit', target: 'next', actions: 'stopHead' },
            },
          },
          drained: { type: 'final' },
        },
        onDone: 'finishing',
      },
      finishing: {
        tags: [Tag.stopping],
        // No children are left; exits still in the mailbox are stale.
        on: { 'xstate.error.actor.*': {}, 'xstate.done.actor.*': {}, 'child.exited': {} },
        after: { 0: [{ guard: 'isNormalStop', target: 'stopped' }, { target: 'failed' }] },
      },
      stopped: { type: 'final' },
      // Must not handle xstate.error.actor.*: the unhandled self-sent error is how we fail.
      failed: { entry: 'failCleanly' },
    },
    output: () => ({ reason: 'normal' }),
  });
}

/** The logic `createSupervisor` returns, for typing refs and `.provide()` results. */
export type SupervisorLogic = ReturnType<typeof createSupervisor>;
