/**
 * Process-level events of a Kiq instance, delivered to `kiq.on(...)`.
 * Listeners never throw into Kiq: an exception in one is logged and the
 * others still run. An `error` with no listener is logged, never thrown
 * (Node's EventEmitter would turn it into an uncaught exception).
 * The `job:*` events come from the instrumenter reporter, in job order, at
 * most one tick after the fact, never from inside a job: a slow listener
 * delays telemetry, not jobs (src/telemetry.ts lists their payloads).
 */
import type { ResolvedConfig } from './config/options.js';
import { logEvent, type Logger } from './logger.js';
import type { JobAbortedMessage, JobFailureMessage, JobStartedMessage, JobSuccessMessage } from './telemetry.js';

/** Event name → listener argument. */
export interface KiqEvents {
  /** The tree is running. */
  started: { identity: string };
  /** `stop()` began. */
  stopping: { identity: string };
  /** `stop()` finished. */
  stopped: { identity: string };
  /** Something failed that Kiq could not handle itself: an escalation, refused jobs. */
  error: Error;
  /** Redis became unreachable for the reliable-push buffer; `waiting` jobs are kept. */
  'push.outage': { error: Error; waiting: number };
  /** The reliable-push buffer reaches Redis again. */
  'push.restored': Record<string, never>;
  /** `count` jobs were written to the spool (`spool` option): a group moved from memory, or one job enqueued during an outage; `bytes` is the spool's size on disk. */
  'push.spooled': { count: number; bytes: number };
  /** `count` spooled jobs reached Redis, from spool segment `segment`. */
  'push.replayed': { count: number; segment: string };
  /** The process went quiet (`quiet: true`: fetches nothing new) or resumed (`quiet: false`). */
  quiet: { identity: string; quiet: boolean };
  /** This process became the leader (`leader: true`) or stopped being it (`leader: false`). */
  leader: { identity: string; leader: boolean };
  /** A job is about to be performed (same payload as the `kiq:job:started` channel, src/telemetry.ts). */
  'job:started': JobStartedMessage;
  /** A job succeeded (`kiq:job:success`). */
  'job:success': JobSuccessMessage;
  /** A job expired before it started, or was cut short by a stop (`kiq:job:aborted`). */
  'job:aborted': JobAbortedMessage;
  /** A job failed: retried, dead or discarded (`kiq:job:failure`). */
  'job:failure': JobFailureMessage;
}

/** Name of a Kiq event. */
export type KiqEventName = keyof KiqEvents;

/** A listener for event `E`. */
export type KiqListener<E extends KiqEventName> = (payload: KiqEvents[E]) => void;

/** @internal A small typed emitter that isolates listeners from each other and from Kiq. */
export class KiqEmitter {
  readonly #listeners = new Map<KiqEventName, Set<(payload: never) => void>>();
  readonly #logger: Logger;

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  on<E extends KiqEventName>(event: E, listener: KiqListener<E>): void {
    let set = this.#listeners.get(event);
    if (!set) {
      set = new Set();
      this.#listeners.set(event, set);
    }
    set.add(listener as (payload: never) => void);
  }

  off<E extends KiqEventName>(event: E, listener: KiqListener<E>): void {
    this.#listeners.get(event)?.delete(listener as (payload: never) => void);
  }

  /**
   * Has `event` a listener? One map lookup: lets a sender (the
   * instrumenter) skip building a payload nobody would receive.
   */
  hasListeners(event: KiqEventName): boolean {
    const set = this.#listeners.get(event);
    return set !== undefined && set.size > 0;
  }

  emit<E extends KiqEventName>(event: E, payload: KiqEvents[E]): void {
    const set = this.#listeners.get(event);
    if (!set || set.size === 0) {
      if (event === 'error') logEvent(this.#logger, 'error', 'error', { error: String(payload) });
      return;
    }
    for (const listener of set) {
      try {
        (listener as KiqListener<E>)(payload);
      } catch (error) {
        logEvent(this.#logger, 'error', 'listener_failed', { on: event, error: String(error) });
      }
    }
  }
}

/** @internal Writes one JSON log line of a Kiq instance: `{ source: 'kiq', identity, ...fields }`. */
export type KiqLog = (level: 'info' | 'warn' | 'error', fields: Record<string, unknown>) => void;

/**
 * @internal The {@link KiqLog} of an instance, reading its configuration at
 * each call (the `init` hook may replace the logger and the identity).
 */
export function kiqLog(config: () => Pick<ResolvedConfig, 'logger' | 'identity'>): KiqLog {
  return (level, fields) => {
    const { logger, identity } = config();
    const { event, ...rest } = fields;
    logEvent(logger, level, String(event), { identity, ...rest });
  };
}
