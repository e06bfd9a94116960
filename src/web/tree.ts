/**
 * @internal
 * The live actor tree of the Kiq process the dashboard is mounted in. Each
 * read attaches to `kiq.inspect`, takes the synchronous re-announcement of
 * every live actor (parents first), and detaches at once: nothing stays
 * subscribed between reads, so the tree pays no inspection cost while no tab
 * looks (a standing inspector roughly halves its event throughput, see
 * `Kiq.inspect`).
 */
import type { AnyActorRef } from 'xstate';
import type { Kiq } from '../kiq.js';

/** One actor, as the tree view shows it. */
export interface ActorNode {
  readonly sessionId: string;
  readonly parentSessionId: string | null;
  /** The `systemId` (`supervisor`, `queue:default`, `flusher`, `senator` …) or the actor id. */
  readonly name: string;
  /** The machine's state value flattened (`running.idle`), or the snapshot status for non-machines. */
  readonly state: string;
  readonly status: string;
  /** Depth below the root, 0 for the root. */
  readonly depth: number;
}

/** Reads the actor tree of one Kiq. */
export interface ActorTree {
  /** Every live actor, parents first; `undefined` when the Kiq is not running (or a sandbox). */
  read(): ActorNode[] | undefined;
}

type Ref = AnyActorRef & { systemId?: unknown; options?: { systemId?: unknown }; _parent?: { sessionId?: string } };

/** `{ running: { fetching: 'idle' } }` → `running.fetching.idle`; parallel regions joined with `, `. */
export function stateText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value !== 'object' || value === null) return '';
  return Object.entries(value as Record<string, unknown>)
    .map(([key, inner]) => {
      const rest = stateText(inner);
      return rest === '' ? key : `${key}.${rest}`;
    })
    .join(', ');
}

/** An {@link ActorTree} over `kiq`. */
export function actorTree(kiq: Kiq): ActorTree {
  return {
    read() {
      if (kiq.state !== 'running' && kiq.state !== 'stopping') return undefined;
      const refs: Ref[] = [];
      let subscription;
      try {
        subscription = kiq.inspect((event) => {
          if (event.type === '@xstate.actor') refs.push(event.actorRef as Ref);
        });
      } catch {
        return undefined; // sandbox, or stopped between the check and here
      }
      subscription.unsubscribe();
      const depths = new Map<string, number>();
      return refs.map((ref) => {
        const snapshot = ref.getSnapshot() as { value?: unknown; status?: string } | undefined;
        const parentSessionId = ref._parent?.sessionId ?? null;
        const depth = parentSessionId === null ? 0 : (depths.get(parentSessionId) ?? 0) + 1;
        depths.set(ref.sessionId, depth);
        const systemId = ref.systemId ?? ref.options?.systemId;
        const status = snapshot?.status ?? 'active';
        return {
          sessionId: ref.sessionId,
          parentSessionId,
          name: typeof systemId === 'string' ? systemId : ref.id,
          state: snapshot?.value === undefined ? status : stateText(snapshot.value),
          status,
          depth,
        };
      });
    },
  };
}
