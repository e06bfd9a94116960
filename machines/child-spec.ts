/**
 * Child specifications for `createSupervisor` (machines/supervisor.ts), after Erlang/OTP's
 * `child_spec`: what to start, when to start it again, how to stop it.
 *
 * 1. A spec names a child (`id`, unique among its siblings) and the logic to run.
 * 2. `restart` decides what an exit leads to: `permanent` children are restarted after any
 *    exit, `transient` ones only after a crash, `temporary` ones never.
 * 3. `shutdown` decides how the child is stopped when the supervisor stops: it is sent
 *    `{ type: 'shutdown' }` and given that many milliseconds to exit, or stopped at once
 *    (`'brutal_kill'`).
 * 4. `configurable` children receive `configure` broadcasts, and the supervisor merges the
 *    configuration it has seen so far into their `input` every time it (re)starts them.
 * 5. The protocol every supervised child speaks: it accepts `shutdown` (and `configure` when
 *    configurable) and leaves by crashing, reaching a final state, or sending `child.exited`.
 *
 * Pure: no IO, no clock. Validation runs once, when the supervisor is created.
 */
import type { AnyActorLogic, DoneActorEvent, ErrorActorEvent } from 'xstate';
import { describe } from '../src/errors.js';
import { MAX_TIMER_MS } from './timer-limit.js';

/**
 * When an exited child is started again (Erlang's `restart` values):
 * `permanent` after any exit, `transient` only after a crash, `temporary` never.
 */
export type RestartType = 'permanent' | 'transient' | 'temporary';

/**
 * How a child is stopped during an orderly shutdown: milliseconds to wait after sending it
 * `{ type: 'shutdown' }` before stopping it, or `'brutal_kill'` to stop it at once.
 */
export type ShutdownSpec = number | 'brutal_kill';

/**
 * Runtime configuration that supervisors broadcast to configurable children
 * (`kiq.configure(...)`) and remember across restarts.
 */
export interface SupervisorConfig {
  /** Stop taking new work (Sidekiq's "quiet", TSTP); running work continues. */
  quiet?: boolean;
  /** How long a queue waits for its running jobs once told to shut down, ms. */
  drainTimeout?: number;
}

/**
 * One supervised child.
 *
 * @example
 * const queue: ChildSpec = {
 *   id: 'queue:default', systemId: 'queue:default', logic: queueMachine,
 *   input: { name: 'default', concurrency: 25 }, shutdown: 25_000, configurable: true,
 * };
 */
export interface ChildSpec {
  /** Id in the supervisor's `snapshot.children` and in exit events; unique among siblings. */
  id: string;
  /** The logic the child runs; started again from scratch on every restart. */
  logic: AnyActorLogic;
  /**
   * Input given to the child on every start. For a `configurable` child it must be an object
   * (or absent): the supervisor's current {@link SupervisorConfig} is merged over it.
   */
  input?: unknown;
  /** System-wide name (`system.get(systemId)`); re-registered by each new incarnation. */
  systemId?: string;
  /** What an exit leads to. Default `'permanent'`. */
  restart?: RestartType;
  /**
   * How the child is stopped on shutdown. Default 5000 ms. A nested supervisor needs at least
   * the sum of its own children's timeouts to shut down in order.
   */
  shutdown?: ShutdownSpec;
  /** Receives `configure` broadcasts; the merged config is part of its input on (re)start. */
  configurable?: boolean;
}

/** Broadcast runtime configuration (`kiq.configure`); supervisors remember it and forward it. */
export type ConfigureEvent = { type: 'configure' } & SupervisorConfig;

/**
 * Orderly stop. The facade or a parent sends it to a supervisor; a supervisor sends it to each
 * of its children in turn. A child answers by reaching a final state or with {@link ChildExitedEvent}.
 */
export type ShutdownEvent = { type: 'shutdown' };

/**
 * Sent by a child to its supervisor when it has exited but cannot reach a final state (a callback
 * actor): after a shutdown request, or on its own (treated as a normal exit).
 */
export type ChildExitedEvent = { type: 'child.exited'; id: string };

/** How a child left: crashed (`xstate.error.actor.*`), reached a final state, or said so. */
export type ChildExit =
  | { id: string; kind: 'crashed'; error: unknown }
  | { id: string; kind: 'completed' }
  | { id: string; kind: 'exited' };

/** Shutdown timeout used when a spec has none (Erlang's default for workers). */
export const DEFAULT_SHUTDOWN_MS = 5000;

/** @internal Does this exit make the child eligible for a restart? */
export function wantsRestart(restart: RestartType, exit: ChildExit['kind']): boolean {
  if (restart === 'permanent') return true;
  if (restart === 'transient') return exit === 'crashed';
  return false;
}

/** @internal The child's input for its next start: the config merged over a configurable child's input. */
export function childInput(spec: ChildSpec, config: SupervisorConfig): unknown {
  if (!spec.configurable) return spec.input;
  return { ...(spec.input as object | undefined), ...config };
}

// Typed `setup()` only lets `spawnChild` take ids of actors declared in `setup({ actors })`; a
// child-spec list is known only at runtime, so we call the untyped form (docs/architecture.md §6 item 2).
type SpawnById = (logic: AnyActorLogic, options: { id: string; systemId?: string; input?: unknown }) => void;

/** @internal Enqueues the spawn of a (new incarnation of a) child, from inside `enqueueActions`. */
export function spawnFromSpec(enqueue: { spawnChild: unknown }, spec: ChildSpec, config: SupervisorConfig): void {
  (enqueue.spawnChild as SpawnById)(spec.logic, { id: spec.id, systemId: spec.systemId, input: childInput(spec, config) });
}

/** @internal The exit an event reports, or `null` for events that are not child exits. */
export function exitOf(event: { type: string }): ChildExit | null {
  if (event.type === 'child.exited') return { id: (event as ChildExitedEvent).id, kind: 'exited' };
  if (event.type.startsWith('xstate.error.actor.')) {
    const e = event as ErrorActorEvent;
    return { id: e.actorId, kind: 'crashed', error: e.error };
  }
  if (event.type.startsWith('xstate.done.actor.')) return { id: (event as DoneActorEvent).actorId, kind: 'completed' };
  return null;
}

/** @internal `base` with every defined key of `patch` (a config or a `configure` event) over it. */
export function mergeConfig(base: SupervisorConfig, patch: object | undefined): SupervisorConfig {
  const next: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(patch ?? {})) if (key !== 'type' && value !== undefined) next[key] = value;
  return next as SupervisorConfig;
}

/** @internal One line for logs and errors: `fetcher crashed: ECONNRESET`. */
export function describeExit(exit: ChildExit): string {
  switch (exit.kind) {
    case 'crashed':
      return `${exit.id} crashed: ${exit.error instanceof Error ? exit.error.message : describe(exit.error)}`;
    case 'completed':
      return `${exit.id} completed`;
    case 'exited':
      return `${exit.id} exited`;
  }
}

/**
 * @internal Checks a supervisor's options once, at creation: a TypeError names the supervisor,
 * the field and the offending value.
 */
export function validateSupervisorOptions(options: {
  id: string;
  children: readonly ChildSpec[];
  maxRestarts: number;
  maxSeconds: number;
  now: unknown;
}): void {
  const { id, maxRestarts, maxSeconds, now } = options;
  const fail: Fail = (field, expected, got) => {
    // (describe() would render Infinity and NaN as JSON's null)
    const shown = typeof got === 'number' ? String(got) : describe(got);
    throw new TypeError(`createSupervisor(${String(id)}): expected ${field} to be ${expected}, got: ${shown}`);
  };
  if (typeof id !== 'string' || id === '') fail('id', 'a non-empty string', id);
  if (!Number.isInteger(maxRestarts) || maxRestarts < 0) fail('maxRestarts', 'a non-negative integer', maxRestarts);
  if (!Number.isFinite(maxSeconds) || maxSeconds <= 0) fail('maxSeconds', 'a positive number', maxSeconds);
  if (typeof now !== 'function') fail('now', 'a function returning monotonic milliseconds', now);
  validateChildSpecs(options.children, fail);
}

type Fail = (field: string, expected: string, got: unknown) => never;

// Every spec is checked at creation so that nothing can throw later from inside an action
// (a throwing supervisor action would leave its children running: docs/architecture.md §6 item 1).
function validateChildSpecs(children: readonly ChildSpec[], fail: Fail): void {
  if (!Array.isArray(children)) fail('children', 'an array of child specs', children);
  const ids = new Set<string>();
  const systemIds = new Set<string>();
  children.forEach((spec, i) => {
    const at = `children[${i}]`;
    if (typeof spec?.id !== 'string' || spec.id === '') fail(`${at}.id`, 'a non-empty string', spec?.id);
    if (ids.has(spec.id)) fail(`${at}.id`, 'unique among siblings', spec.id);
    ids.add(spec.id);
    if (typeof spec.logic !== 'object' || spec.logic === null) fail(`${at}.logic`, 'actor logic', spec.logic);
    if (spec.systemId !== undefined) {
      if (typeof spec.systemId !== 'string' || spec.systemId === '') fail(`${at}.systemId`, 'a non-empty string', spec.systemId);
      if (systemIds.has(spec.systemId)) fail(`${at}.systemId`, 'unique', spec.systemId);
      systemIds.add(spec.systemId);
    }
    if (spec.restart !== undefined && !['permanent', 'transient', 'temporary'].includes(spec.restart)) {
      fail(`${at}.restart`, "'permanent', 'transient' or 'temporary'", spec.restart);
    }
    const s = spec.shutdown;
    if (s !== undefined && s !== 'brutal_kill' && !(Number.isInteger(s) && s >= 0 && s <= MAX_TIMER_MS)) {
      fail(`${at}.shutdown`, `'brutal_kill' or an integer number of ms from 0 to ${MAX_TIMER_MS}`, s);
    }
    if (spec.configurable && spec.input !== undefined && (typeof spec.input !== 'object' || spec.input === null || Array.isArray(spec.input))) {
      fail(`${at}.input`, 'an object (a configurable child gets the config merged into its input)', spec.input);
    }
  });
}
