/**
 * @internal
 * What the harness (./harness.ts) reads of a running actor tree, read-only:
 * state tags (machines/tags.ts) and the queue view (machines/queue-view.ts),
 * never state names or a machine's private context. One place, so a change
 * to a statechart that keeps its tags keeps the harness working.
 */
import type { ActorSystem, AnyActorRef, AnyMachineSnapshot } from 'xstate';
import { queueView, type QueueView } from '../../machines/queue-view.js';
import type { SenatorSnapshot } from '../../machines/senator.js';
import { hasTag, Tag } from '../../machines/tags.js';
import { FLUSHER_ID, queueId, ROOT_ID, SENATOR_ID } from '../actor-ids.js';

/** The parts of a snapshot the walk reads (any logic's). */
interface WalkedSnapshot {
  readonly status?: string;
  readonly value?: unknown;
  readonly children?: Readonly<Record<string, AnyActorRef | undefined>>;
}

/** A state value as text: `fetching`, `active.running`. */
function stateText(value: unknown): string {
  if (typeof value !== 'object' || value === null) return String(value);
  return Object.entries(value)
    .map(([key, inner]) => `${key}.${stateText(inner)}`)
    .join(', ');
}

/** A read-only view of the tree of one actor system (the harness's Kiq). */
export class TreeView {
  readonly #system: () => ActorSystem<any> | undefined;

  /** `system` answers the tree's system once it exists (the first inspection event brings it). */
  constructor(system: () => ActorSystem<any> | undefined) {
    this.#system = system;
  }

  /** Snapshot of the live actor with this systemId; `undefined` when none. */
  actor(systemId: string): AnyMachineSnapshot | undefined {
    return this.#system()?.get(systemId)?.getSnapshot() as AnyMachineSnapshot | undefined;
  }

  /** Send `event` to the actor with this systemId, if it is there. */
  send(systemId: string, event: { type: string }): void {
    this.#system()?.get(systemId)?.send(event);
  }

  /** The queue actor serving `name`, or `undefined` (not started, stopped, crashed). */
  queue(name: string): QueueView | undefined {
    return queueView(this.#system()?.get(queueId(name)));
  }

  /** The flusher waits for work: no write in flight, no backoff after a failed one. */
  flusherIdle(): boolean {
    return hasTag(this.actor(FLUSHER_ID), Tag.idle);
  }

  /** Whether the fetcher of queue `name` runs and is in a state tagged `tag`. */
  fetcherHas(name: string, tag: Tag): boolean {
    return hasTag(this.queue(name)?.fetcher, tag);
  }

  /**
   * The fetcher of queue `name` runs and has nothing owed: idle, quiet, or in
   * its blocking wait (which any push ends). Not while it fetches or backs
   * off, nor while its queue waits to restart it.
   */
  fetcherSettled(name: string): boolean {
    const fetcher = this.queue(name)?.fetcher;
    return hasTag(fetcher, Tag.idle) || hasTag(fetcher, Tag.blocking);
  }

  /** Jobs of queue `name` started and not yet settled (0 when there is no queue actor). */
  running(name: string): number {
    return this.queue(name)?.running ?? 0;
  }

  /** Monotonic ms at which the senator's lease ends; 0 when it does not lead (or there is none). */
  leaderUntil(): number {
    const senator = this.actor(SENATOR_ID) as SenatorSnapshot | undefined;
    return senator?.status === 'active' && hasTag(senator, Tag.leader) ? senator.context.leaderUntil : 0;
  }

  /**
   * The first actor with an IO call in flight (a state tagged `io`), as
   * `kiq/queue:default/fetcher: fetching`; the fetcher's blocking wait
   * counts only `withBlocking`. `undefined` when none.
   */
  ioInFlight(withBlocking: boolean): string | undefined {
    const root = this.#system()?.get(ROOT_ID);
    return root ? walk(root, root.id, withBlocking) : undefined;
  }
}

function walk(ref: AnyActorRef, path: string, withBlocking: boolean): string | undefined {
  const snapshot = ref.getSnapshot() as WalkedSnapshot | undefined;
  if (snapshot?.status !== 'active') return undefined;
  if (hasTag(snapshot, Tag.io) && (withBlocking || !hasTag(snapshot, Tag.blocking))) return `${path}: ${stateText(snapshot.value)}`;
  for (const [id, child] of Object.entries(snapshot.children ?? {})) {
    const found = child ? walk(child, `${path}/${id}`, withBlocking) : undefined;
    if (found) return found;
  }
  return undefined;
}
