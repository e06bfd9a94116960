/**
 * @internal
 * The `reporters` subtree (Kiq's `Reporter.Supervisor`, docs/architecture.md §3): a
 * one-for-one supervisor whose children are one reporter actor each
 * (machines/reporter.ts), fed by the bus (src/reporters/bus.ts):
 *
 * | child / systemId        | does                                                        |
 * | ----------------------- | ----------------------------------------------------------- |
 * | `reporter:logger`       | one JSON line per event (src/reporters/logger-reporter.ts)  |
 * | `reporter:instrumenter` | diagnostics channels + `kiq.on('job:…')` (instrumenter.ts)   |
 * | `reporter:<i>`          | `extraReporters[i]` (user-reporter.ts)                       |
 *
 * Why a throwing reporter cannot take Kiq down: each child's `deliver` is
 * `guardedDeliver` (guard.ts). A batch in which a reporter throws is logged
 * and crashes that actor; this supervisor restarts it (so each restart has
 * its log line). The `MAX_CRASHES`-th crash within `CRASH_WINDOW_MS`
 * disables the reporter instead (an error line and the facade's `error`
 * event): a reporter thus crashes at most `MAX_CRASHES - 1` times per
 * window, and this supervisor tolerates `MAX_CRASHES` restarts per child
 * per window, so reporters can never make it escalate and burn the root's
 * restart intensity (3 in 5 s). Jobs are not involved at any point: the
 * bus delivers on its own tick and never waits.
 *
 * We chose "crash, restart, then disable" over the alternatives: marking
 * user reporters `temporary` would lose one for good on its first bad
 * event; only logging would hide a reporter that never works behind an
 * endless stream of lines; a restart delay in the machine would still
 * count against the intensity sooner or later.
 */
import { reporterMachine } from '../../machines/reporter.js';
import type { ChildSpec } from '../../machines/child-spec.js';
import { createSupervisor } from '../../machines/supervisor.js';
import { REPORTERS_ID, reporterId } from '../actor-ids.js';
import type { ResolvedConfig } from '../config/options.js';
import type { Logger } from '../logger.js';
import type { KiqEmitter } from '../events.js';
import type { BusTarget, JobEventType } from './bus.js';
import { CRASH_WINDOW_MS, guardedDeliver, MAX_CRASHES } from './guard.js';
import { instrumenter, instrumenterWanted } from './instrumenter.js';
import { loggerReporter } from './logger-reporter.js';
import { userReporter } from './user-reporter.js';
import type { JobEvent } from '../../machines/reporter.js';

/** How long a reporter still delivers after `shutdown` (the bus's last batch is at most a tick away), ms. */
export const REPORTER_DRAIN_MS = 5;
/** How long the supervisor waits for one reporter to stop, ms. */
const REPORTER_SHUTDOWN_MS = 1_000;

/** The parts of the config the reporters read. */
export type ReportersConfig = Pick<ResolvedConfig, 'logger' | 'clock' | 'extraReporters'>;

/** What the reporters need besides the config. */
export interface ReporterDeps {
  /** Gets Kiq's own lines about reporters (crashes, disabling). */
  readonly logger: Logger;
  /** The facade's emitter: `kiq.on('job:…')` events, and `error` when a reporter is disabled. */
  readonly emitter?: KiqEmitter;
}

/** One reporter: its systemId, per-event handler, and whether it wants events now. */
interface ReporterDefinition {
  readonly systemId: string;
  readonly handle: (event: JobEvent) => unknown;
  readonly begin?: () => void;
  readonly wanted?: (type: JobEventType) => boolean;
}

function definitions(config: ReportersConfig, deps: ReporterDeps): ReporterDefinition[] {
  return [
    { systemId: reporterId('logger'), ...loggerReporter(config.logger) },
    { systemId: reporterId('instrumenter'), handle: instrumenter(deps.emitter), wanted: instrumenterWanted(deps.emitter) },
    ...config.extraReporters.map((reporter, i): ReporterDefinition => ({ systemId: reporterId(i), handle: userReporter(reporter) })),
  ];
}

/** The reporters the bus feeds, matching {@link reportersSpec}'s children. */
export function reporterTargets(config: ReportersConfig, deps: Pick<ReporterDeps, 'emitter'> = {}): BusTarget[] {
  return definitions(config, { logger: config.logger, ...deps }).map(({ systemId, wanted }) => (wanted ? { systemId, wanted } : { systemId }));
}

/**
 * The child spec of the `reporters` supervisor (systemId `reporters`).
 *
 * @example
 * const children = [flusher, ...leader, resurrector, ...periodic,
 *   reportersSpec(config, { logger: config.logger, emitter }), ...pollers, ...queues];
 */
export function reportersSpec(config: ReportersConfig, deps: ReporterDeps): ChildSpec {
  const now = () => config.clock.monoMs();
  const onDisabled = (error: Error) => deps.emitter?.emit('error', error);
  const children = definitions(config, deps).map(({ systemId, handle, begin }): ChildSpec => {
    const deliver = guardedDeliver({ name: systemId, handle, ...(begin ? { begin } : {}), logger: deps.logger, now, onDisabled });
    return {
      id: systemId,
      systemId,
      logic: reporterMachine.provide({ actions: { deliver: (_, { events }) => deliver(events) } }),
      input: { drainMs: REPORTER_DRAIN_MS },
      restart: 'permanent',
      shutdown: REPORTER_SHUTDOWN_MS,
    };
  });
  return {
    id: REPORTERS_ID,
    systemId: REPORTERS_ID,
    logic: createSupervisor({
      id: REPORTERS_ID,
      children,
      // a reporter crashes at most MAX_CRASHES - 1 times per window (guard.ts): never enough to escalate
      maxRestarts: MAX_CRASHES * children.length,
      maxSeconds: CRASH_WINDOW_MS / 1000,
      now,
    }),
    restart: 'permanent',
    shutdown: children.length * REPORTER_SHUTDOWN_MS + 1_000,
  };
}
