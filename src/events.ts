/**
 * Process-level events of a Kiq instance, delivered to `kiq.on(...)`.
 * Listeners never throw into Kiq: an exception in one is logged and the
 * others still run. An `error` with no listener is logged, never thrown
 * (Node's EventEmitter would turn it into an uncaught exception).
 */
import type { Logger } from './config/options.js';

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

  emit<E extends KiqEventName>(event: E, payload: KiqEvents[E]): void {
    const set = this.#listeners.get(event);
    if (!set || set.size === 0) {
      if (event === 'error') this.#logger.error(JSON.stringify({ source: 'kiq', event: 'error', error: String(payload) }));
      return;
    }
    for (const listener of set) {
      try {
        (listener as KiqListener<E>)(payload);
      } catch (error) {
        this.#logger.error(JSON.stringify({ source: 'kiq', event: 'listener_failed', on: event, error: String(error) }));
      }
    }
  }
}
