/**
 * A dependency-free inspection recorder: one JSON line per xstate
 * inspection event, to a file or any writable stream, for offline reading
 * (`jq`, a test, a replay). Use it as the `inspect` option or with
 * `kiq.inspect(recorder)`, and `await recorder.close()` when done.
 *
 * Each line is plain data (see `plain.ts`; snapshots hold actor refs and
 * cycles, so nothing is stringified as is):
 *
 * | field | on | meaning |
 * |---|---|---|
 * | `seq` | all | 1, 2, 3… in recording order |
 * | `at` | all | epoch ms when recorded |
 * | `type` | all | `@xstate.actor`, `@xstate.event`, `@xstate.snapshot`, `@xstate.microstep`, `@xstate.action`, … |
 * | `rootId` | all | session id of the root actor |
 * | `id`, `sessionId` | all | the actor the event is about (for `@xstate.event`: its receiver) |
 * | `parentSessionId` | `@xstate.actor` | session id of its parent, `null` for the root |
 * | `systemId` | `@xstate.actor` | its system-wide name, when it has one |
 * | `machine` | `@xstate.actor` | the statechart's id (`queue`, `fetcher`…), absent for other logic |
 * | `event` | event, snapshot, microstep | the event (`@xstate.event`), or the one that caused the step |
 * | `sourceSessionId` | `@xstate.event` | sender's session id, `null` when sent from outside |
 * | `status`, `value` | snapshot, microstep | snapshot status (`active`, `done`, `error`, `stopped`) and state value |
 * | `error`, `output` | snapshot | when the actor failed / finished |
 * | `context` | snapshot | only with `{ context: true }` |
 * | `action` | `@xstate.action` | `{ type, params }` |
 */
import { createWriteStream } from 'node:fs';
import type { InspectionEvent, Observer } from 'xstate';
import { toPlain, type PlainLimits } from './plain.js';

/** Where lines go: a Node writable stream or anything with a compatible `write`. */
export interface JsonlSink {
  /** Write one chunk of lines; `callback`, if taken, is called once it is written (or failed). */
  write(chunk: string, callback?: (error?: Error | null) => void): unknown;
}

/** Options of {@link createJsonlRecorder}. */
export interface JsonlRecorderOptions extends PlainLimits {
  /**
   * Keep only the events this returns true for, e.g. drop the per-call
   * promise actors' churn: `(e) => e.type !== '@xstate.action'`.
   */
  readonly filter?: (event: InspectionEvent) => boolean;
  /** Also write each snapshot's `context` (plain data only). @defaultValue false */
  readonly context?: boolean;
  /** With a path: append to the file instead of replacing it. @defaultValue false */
  readonly append?: boolean;
}

/** An inspection observer that records to JSONL; pass it where xstate takes an observer. */
export interface JsonlRecorder extends Observer<InspectionEvent> {
  /** Record one inspection event (unless the filter drops it). */
  next(event: InspectionEvent): void;
  /** Lines recorded so far (after the filter). */
  readonly count: number;
  /**
   * Stop recording and write what is buffered. With a path, the file is
   * closed; a stream passed in is left open. Rejects with the first write
   * error, if any.
   */
  close(): Promise<void>;
}

type Ref = {
  id?: unknown;
  sessionId?: unknown;
  systemId?: unknown;
  /** An actor's creation options; `systemId` is set on the actor only after xstate announces it. */
  options?: { systemId?: unknown };
  _parent?: { sessionId?: unknown };
  logic?: unknown;
};

/** The plain record of one inspection event (one JSONL line before `JSON.stringify`). */
export function inspectionRecord(event: InspectionEvent, seq: number, options: JsonlRecorderOptions = {}): Record<string, unknown> {
  const ref = event.actorRef as unknown as Ref;
  const record: Record<string, unknown> = { seq, at: Date.now(), type: event.type, rootId: event.rootId, id: ref.id, sessionId: ref.sessionId };
  const plain = (value: unknown) => toPlain(value, options);
  switch (event.type) {
    case '@xstate.actor': {
      record.parentSessionId = ref._parent?.sessionId ?? null;
      const systemId = ref.systemId ?? ref.options?.systemId;
      if (typeof systemId === 'string') record.systemId = systemId;
      const logic = ref.logic as { id?: unknown; root?: unknown } | undefined;
      if (logic?.root !== undefined && typeof logic.id === 'string') record.machine = logic.id;
      break;
    }
    case '@xstate.event':
      record.event = plain(event.event);
      record.sourceSessionId = (event.sourceRef as Ref | undefined)?.sessionId ?? null;
      break;
    case '@xstate.action':
      record.action = plain(event.action);
      break;
    default: {
      // @xstate.snapshot, @xstate.microstep, @xstate.transition: a step and its result
      const withSnapshot = event as { event?: unknown; snapshot?: Record<string, unknown> };
      const snapshot = withSnapshot.snapshot ?? {};
      record.event = plain(withSnapshot.event);
      record.status = snapshot.status;
      if (snapshot.value !== undefined) record.value = plain(snapshot.value);
      if (snapshot.status === 'error') record.error = plain(snapshot.error);
      if (snapshot.status === 'done' && snapshot.output !== undefined) record.output = plain(snapshot.output);
      if (options.context && snapshot.context !== undefined) record.context = plain(snapshot.context);
    }
  }
  return record;
}

/**
 * An inspection observer writing one JSON line per event to `target` (a
 * file path, or a stream), buffered and flushed once per event-loop turn
 * and on {@link JsonlRecorder.close}.
 *
 * @example
 * const recorder = createJsonlRecorder('/tmp/kiq-inspect.jsonl', { filter: (e) => e.type !== '@xstate.action' });
 * const kiq = new Kiq({ queues: { default: 5 }, inspect: recorder });
 * await kiq.start();
 * // …
 * await kiq.stop();
 * await recorder.close();
 */
export function createJsonlRecorder(target: string | JsonlSink, options: JsonlRecorderOptions = {}): JsonlRecorder {
  const owned = typeof target === 'string' ? createWriteStream(target, { flags: options.append ? 'a' : 'w' }) : undefined;
  const sink: JsonlSink = owned ?? (target as JsonlSink);
  let failure: Error | undefined;
  owned?.on('error', (error) => {
    failure ??= error;
  });
  let pending: string[] = [];
  let scheduled: NodeJS.Immediate | undefined;
  let closed = false;
  let seq = 0;
  const writes = new Set<Promise<void>>();

  const flush = (): void => {
    scheduled = undefined;
    if (pending.length === 0) return;
    const chunk = pending.join('');
    pending = [];
    const written = new Promise<void>((resolve) => {
      try {
        sink.write(chunk, (error) => {
          if (error) failure ??= error;
          resolve();
        });
      } catch (error) {
        failure ??= error instanceof Error ? error : new Error(String(error));
        resolve();
      }
      // a sink whose write never calls back (a minimal `{ write }`) counts as written at once
      if (sink.write.length < 2) resolve();
    });
    writes.add(written);
    void written.then(() => writes.delete(written));
  };

  return {
    get count() {
      return seq;
    },
    next(event: InspectionEvent): void {
      if (closed) return;
      if (options.filter && !options.filter(event)) return;
      seq += 1;
      let line: string;
      try {
        line = JSON.stringify(inspectionRecord(event, seq, options));
      } catch (error) {
        // never let a recorder throw into xstate's inspection loop
        line = JSON.stringify({ seq, type: event.type, recorderError: error instanceof Error ? error.message : String(error) });
      }
      pending.push(line + '\n');
      scheduled ??= setImmediate(flush);
    },
    async close(): Promise<void> {
      if (!closed) {
        closed = true;
        if (scheduled) clearImmediate(scheduled);
        flush();
      }
      await Promise.all([...writes]);
      if (owned && !owned.closed) {
        // 'close' follows both a clean finish and an error
        await new Promise<void>((resolve) => {
          owned.once('close', () => resolve());
          if (!owned.writableEnded) owned.end();
        });
      }
      if (failure) throw failure;
    },
  };
}
