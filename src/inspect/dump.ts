/**
 * The TTIN dump: what a Kiq server is doing right now, as plain data for one
 * log line. Sidekiq logs every thread's backtrace on TTIN (launcher.rb,
 * `Sidekiq::CLI#handle_signal`); a Kiq job is a promise with no stack of its
 * own, so the dump lists the running jobs and the actor tree instead.
 */
import type { AnyActorRef } from 'xstate';
import type { RunningJob } from '../server/process-state.js';

/** A running job in a {@link KiqDump}: no arguments (they may be large or private). */
export interface DumpedJob {
  /** Its field in `<identity>:work`. */
  readonly id: string;
  readonly queue: string;
  /** Absent only for a payload that is not JSON (a runner bug). */
  readonly jid?: unknown;
  readonly class?: unknown;
  /** When it started, epoch seconds. */
  readonly run_at: number;
}

/** An actor and its children, recursively, with their state values. */
export interface DumpedActor {
  readonly id: string;
  readonly status?: string;
  readonly value?: unknown;
  readonly children?: readonly DumpedActor[];
}

/** What `kiq.dump()` logs (`event: "dump"`) and returns. */
export interface KiqDump {
  /** Jobs running in this process, oldest first. */
  readonly running: readonly DumpedJob[];
  /** The actor tree (a stopped or failed one too); `null` before `start()` and in sandbox mode. */
  readonly tree: DumpedActor | null;
}

/** Running jobs for the dump. */
export function dumpJobs(running: readonly RunningJob[]): DumpedJob[] {
  return running.map(({ id, queue, payload, runAtSec }) => {
    let job: Record<string, unknown> = {};
    try {
      job = JSON.parse(payload) as Record<string, unknown>;
    } catch {
      // a runner bug's invalid payload: shown without jid and class
    }
    return { id, queue, jid: job.jid, class: job.class, run_at: runAtSec };
  });
}

/** `actor` and its children, recursively, with their state values. */
export function dumpActor(id: string, actor: AnyActorRef): DumpedActor {
  const snapshot = actor.getSnapshot() as { status?: string; value?: unknown; children?: Record<string, AnyActorRef | undefined> };
  const children = Object.entries(snapshot.children ?? {}).flatMap(([childId, child]) => (child ? [dumpActor(childId, child)] : []));
  return {
    id,
    ...(snapshot.status === undefined ? {} : { status: snapshot.status }),
    ...(snapshot.value === undefined ? {} : { value: snapshot.value }),
    ...(children.length > 0 ? { children } : {}),
  };
}
