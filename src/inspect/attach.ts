/**
 * Attaching an inspection observer to a running actor tree
 * (`kiq.inspect(observer)`).
 *
 * xstate announces each actor once, with an `@xstate.actor` inspection
 * event sent when the actor is created. An observer attached later through
 * `system.inspect` would never hear of the actors that already exist, and
 * inspectors (the Stately inspector, our JSONL recorder) need those events
 * to place later events in the tree (docs/architecture.md §6 item 4). So
 * {@link attachInspector} first re-announces every live actor, parents
 * before children, with events shaped exactly as xstate's
 * own (`{ type: '@xstate.actor', actorRef, rootId }`), then passes the live
 * stream on. Events that happen while it re-announces are held back and
 * delivered right after, in order, so nothing is lost or reordered.
 */
import type { AnyActorRef, InspectedActorEvent, InspectionEvent, Observer, Subscription } from 'xstate';
import type { InspectOption } from '../config/options.js';

/** A snapshot field we read without knowing the logic: machine snapshots have `children`. */
interface SnapshotWithChildren {
  readonly status?: string;
  readonly children?: Readonly<Record<string, AnyActorRef | undefined>>;
}

/** The top of `ref`'s tree (its system's root). */
function rootOf(ref: AnyActorRef): AnyActorRef {
  let current = ref;
  while (current._parent) current = current._parent;
  return current;
}

/**
 * Every live actor of the tree under `root` (included), parents first,
 * children in `snapshot.children` order (start order; a restarted child
 * moves to the end). Actors that
 * have stopped, finished or crashed are left out, with their subtrees: a
 * crashed child's ref lingers in its parent's snapshot until the parent
 * restarts it (docs/architecture.md §6 item 1).
 */
export function liveActors(root: AnyActorRef): AnyActorRef[] {
  const found: AnyActorRef[] = [];
  const visit = (ref: AnyActorRef): void => {
    const snapshot = ref.getSnapshot() as SnapshotWithChildren | undefined;
    if (snapshot?.status !== undefined && snapshot.status !== 'active') return;
    found.push(ref);
    for (const child of Object.values(snapshot?.children ?? {})) if (child) visit(child);
  };
  visit(root);
  return found;
}

function toObserver(observer: InspectOption): Observer<InspectionEvent> {
  return typeof observer === 'function' ? { next: observer } : observer;
}

/**
 * Subscribe `observer` to every inspection event of `root`'s actor system,
 * after re-announcing (`@xstate.actor`) each actor that is already live in
 * the tree under `root`. Returns the subscription; `unsubscribe()` stops the
 * events (and is safe to call twice).
 *
 * @example
 * const sub = attachInspector(root, (event) => {
 *   if (event.type === '@xstate.actor') console.log('actor', event.actorRef.sessionId);
 * });
 * // … later
 * sub.unsubscribe();
 */
export function attachInspector(root: AnyActorRef, observer: InspectOption): Subscription {
  const target = toObserver(observer);
  const deliver = (event: InspectionEvent): void => target.next?.(event);
  let held: InspectionEvent[] | undefined = [];
  let closed = false;
  // Subscribe first, holding live events back: an actor created while we
  // announce (an observer may send events) is then neither missed nor
  // announced before its parent.
  const subscription = root.system.inspect((event: InspectionEvent) => {
    if (closed) return;
    if (held) held.push(event);
    else deliver(event);
  });
  const unsubscribe = (): void => {
    if (closed) return;
    closed = true;
    subscription.unsubscribe();
  };
  const rootId = rootOf(root).sessionId;
  try {
    for (const actorRef of liveActors(root)) {
      if (closed) break;
      const announcement: InspectedActorEvent = { type: '@xstate.actor', actorRef, rootId };
      deliver(announcement);
    }
    while (held.length > 0 && !closed) {
      const batch: InspectionEvent[] = held;
      held = [];
      for (const event of batch) deliver(event);
    }
  } catch (error) {
    // an observer that throws while catching up is not left subscribed
    unsubscribe();
    throw error;
  } finally {
    held = undefined;
  }
  return { unsubscribe };
}
