/**
 * @internal
 * The reporter bus: where the job path's lifecycle calls become reporter
 * events (Kiq's GenStage reporter producer, docs/kiq-elixir.md §4.6, without
 * its flaw: Kiq's runners waited, up to a 5 s timeout, for the slowest
 * reporter, docs/kiq-elixir.md bug 20).
 *
 * 1. `started(start)` / `finished(outcome)` (the {@link JobHooks} the queues
 *    call synchronously for every job) turn into {@link JobEvent}s pushed on
 *    an array: O(1), nothing else happens on the job path. A finished job
 *    gives its outcome event (`success`, `aborted`, `failure`), then
 *    `stopped` if it had started. An invalid payload gives no event (the
 *    server logs it and sends it to the dead set).
 * 2. Once per tick (`setImmediate`), the events go out as ONE `report.batch`
 *    to each reporter actor (docs/architecture.md §6 item 5), looked up by systemId at send
 *    time (`system.get('reporter:<name>')`): a restarted reporter is a new
 *    ref. Every reporter gets every event, in order.
 * 3. A reporter that is missing at send time (being restarted with its
 *    supervisor) has its batches held and delivered first when it is back.
 *    Held events are bounded (`maxBacklog`, 10,000 by default, per
 *    reporter): beyond that the oldest batches are dropped, with a single
 *    warning.
 * 4. Nobody listening (no reporter that always wants events, and no
 *    telemetry subscriber): `started`/`finished` return at once; nothing is
 *    recorded and no tick is scheduled. The same holds per event type: a
 *    type no reporter wants now (a logger at level `warn` wants failures
 *    only) is not recorded, and each reporter is sent only the types it wants.
 *
 * Reporters are best-effort telemetry: jobs never wait for them, never see
 * their errors and are never slowed by them. A reporter that throws crashes
 * only its own actor (src/reporters/guard.ts); one that is slow to resolve
 * its promises is never awaited; events are dropped, not jobs, when a
 * reporter cannot keep up.
 */
import type { AnyActorRef } from 'xstate';
import type { JobEvent, ReportBatchEvent } from '../../machines/reporter.js';
import { logEvent, type Logger } from '../logger.js';
import type { JobHooks, JobOutcome, JobStart } from '../job-events.js';

/** Events held per missing reporter before the oldest batches are dropped. */
export const DEFAULT_MAX_BACKLOG = 10_000;

/** Where the bus finds reporters: the actor system (`root.system`). */
export interface ReporterLookup {
  get(systemId: string): AnyActorRef | undefined;
}

/** The kinds of job event a reporter is fed. */
export type JobEventType = JobEvent['type'];

/** A reporter actor the bus feeds. */
export interface BusTarget {
  /** Its systemId, e.g. `reporter:logger`. */
  readonly systemId: string;
  /**
   * Does it want events of `type` right now? Absent: every event, always.
   * False: such events are not sent to it (nor held for it), and not even
   * recorded when no target wants them, so a batch nobody wants costs no
   * reporter step.
   */
  readonly wanted?: (type: JobEventType) => boolean;
}

/** What a {@link ReporterBus} needs. */
export interface ReporterBusOptions {
  /** The running actor system, or `undefined` when there is none (yet). Read at every send. */
  readonly system: () => ReporterLookup | undefined;
  /** The reporters, in the order they are fed. */
  readonly targets: readonly BusTarget[];
  /** Gets the bus's own warnings. */
  readonly logger: Logger;
  /** @defaultValue {@link DEFAULT_MAX_BACKLOG} */
  readonly maxBacklog?: number;
}

/** Batches held for a reporter that was missing at send time. */
interface Backlog {
  readonly batches: (readonly JobEvent[])[];
  events: number;
  dropped: number;
}

/**
 * Collects job events and sends them to the reporter actors once per tick.
 *
 * @example
 * const bus = new ReporterBus({
 *   system: () => root?.system,
 *   targets: reporterTargets(config, { emitter }),
 *   logger: config.logger,
 * });
 * buildTree(config, { flush, pool, hooks: combineHooks([processState, bus]) });
 * // on stop, once the tree is down:
 * bus.close();
 */
export class ReporterBus implements JobHooks {
  readonly #system: () => ReporterLookup | undefined;
  readonly #targets: readonly BusTarget[];
  readonly #logger: Logger;
  readonly #maxBacklog: number;
  /** Some target has no `wanted`: events are always recorded. */
  readonly #always: boolean;
  #pending: JobEvent[] = [];
  #scheduled = false;
  #closed = false;
  readonly #backlogs = new Map<string, Backlog>();

  constructor(options: ReporterBusOptions) {
    this.#system = options.system;
    this.#targets = [...options.targets];
    this.#logger = options.logger;
    this.#maxBacklog = options.maxBacklog ?? DEFAULT_MAX_BACKLOG;
    this.#always = this.#targets.some((target) => target.wanted === undefined);
  }

  /** Events recorded and not yet sent (for tests and diagnostics). */
  get pending(): number {
    return this.#pending.length;
  }

  /** Events held for `systemId` while it was missing. */
  held(systemId: string): number {
    return this.#backlogs.get(systemId)?.events ?? 0;
  }

  /** {@link JobHooks.started}: records `started`. */
  started(start: JobStart): void {
    if (!this.#wants('started')) return;
    this.#push({ type: 'started', job: start.job, queue: start.queue });
  }

  /** {@link JobHooks.finished}: records the outcome's event, then `stopped` if the job had started. */
  finished(outcome: JobOutcome): void {
    if (outcome.kind === 'invalid' || this.#closed) return;
    const { job, queue } = outcome;
    switch (outcome.kind) {
      case 'success':
        if (this.#wants('success')) this.#push({ type: 'success', job, queue, durationMs: outcome.durationMs });
        break;
      case 'aborted':
        if (this.#wants('aborted')) this.#push({ type: 'aborted', job, queue, reason: outcome.reason });
        // JobHooks contract: an expired job never started; a shutdown abort
        // started only if `perform` ran and failed because of the stop
        // (then it carries that error).
        if (outcome.error === undefined) return;
        break;
      case 'retry':
      case 'dead':
      case 'discard':
        if (!this.#wants('failure')) break;
        this.#push({
          type: 'failure',
          job,
          queue,
          error: outcome.error,
          outcome: outcome.kind,
          ...(outcome.durationMs === undefined ? {} : { durationMs: outcome.durationMs }),
        });
        break;
    }
    if (this.#wants('stopped')) this.#push({ type: 'stopped', job, queue });
  }

  /** Send what is recorded now instead of at the end of the tick. */
  flush(): void {
    this.#scheduled = false;
    if (this.#pending.length === 0) return;
    const batch = this.#pending;
    this.#pending = [];
    let system: ReporterLookup | undefined;
    try {
      system = this.#system();
    } catch {
      system = undefined;
    }
    for (const target of this.#targets) {
      try {
        this.#feed(target, batch, system);
      } catch (error) {
        // never throw into setImmediate (an uncaught exception); a bug here costs telemetry only
        logEvent(this.#logger, 'warn', 'reporter_bus_failed', { reporter: target.systemId, error: String(error) });
      }
    }
  }

  /** Stop recording and drop everything recorded or held (the tree is gone). */
  close(): void {
    this.#closed = true;
    this.#pending = [];
    this.#backlogs.clear();
  }

  /** Does some target want an event of `type` now? */
  #wants(type: JobEventType): boolean {
    if (this.#closed) return false;
    if (this.#always) return true;
    for (const target of this.#targets) if (target.wanted!(type)) return true;
    return false;
  }

  #push(event: JobEvent): void {
    this.#pending.push(event);
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(this.#onTick);
    }
  }

  readonly #onTick = (): void => {
    if (this.#scheduled) this.flush();
  };

  #feed(target: BusTarget, recorded: readonly JobEvent[], system: ReporterLookup | undefined): void {
    const { wanted } = target;
    const batch = wanted === undefined ? recorded : recorded.filter((event) => wanted(event.type));
    const { systemId } = target;
    const backlog = this.#backlogs.get(systemId);
    if (batch.length === 0 && backlog === undefined) return;
    // what was held for it goes first, also when this batch has nothing for it
    if (backlog !== undefined) {
      while (backlog.batches.length > 0) {
        if (!send(system, systemId, backlog.batches[0]!)) break;
        backlog.events -= backlog.batches.shift()!.length;
      }
      if (backlog.batches.length === 0) {
        this.#backlogs.delete(systemId);
        if (backlog.dropped > 0) logEvent(this.#logger, 'warn', 'reporter_events_dropped', { reporter: systemId, dropped: backlog.dropped, state: 'reporter back' });
      }
    }
    if (batch.length === 0) return;
    if (this.#backlogs.has(systemId) || !send(system, systemId, batch)) this.#hold(systemId, batch);
  }

  #hold(systemId: string, batch: readonly JobEvent[]): void {
    let backlog = this.#backlogs.get(systemId);
    if (backlog === undefined) {
      backlog = { batches: [], events: 0, dropped: 0 };
      this.#backlogs.set(systemId, backlog);
    }
    backlog.batches.push(batch);
    backlog.events += batch.length;
    const droppedBefore = backlog.dropped;
    while (backlog.events > this.#maxBacklog && backlog.batches.length > 0) {
      const oldest = backlog.batches.shift()!;
      backlog.events -= oldest.length;
      backlog.dropped += oldest.length;
    }
    if (droppedBefore === 0 && backlog.dropped > 0) {
      logEvent(this.#logger, 'warn', 'reporter_events_dropped', { reporter: systemId, limit: this.#maxBacklog, state: 'reporter missing, dropping its oldest events' });
    }
  }
}

/** Send `batch` to the live reporter `systemId`; false when there is none. */
function send(system: ReporterLookup | undefined, systemId: string, batch: readonly JobEvent[]): boolean {
  const ref = system?.get(systemId);
  if (ref === undefined || ref.getSnapshot().status !== 'active') return false;
  // a reporter that throws crashes itself (its supervisor restarts it); send never throws
  ref.send({ type: 'report.batch', events: batch } satisfies ReportBatchEvent);
  return true;
}
