import { expect } from 'chai';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { assign, createActor, setup, type InspectionEvent } from 'xstate';
import { flusherMachine } from '../../machines/flusher.js';
import { flusherIO } from '../../machines/flusher-io.js';
import { createJsonlRecorder, toPlain } from '../../src/inspect/index.js';
import { useTempDir } from '../support/temp-dir.js';

const flusher = flusherMachine.provide({ actors: { io: flusherIO({ flush: async () => ({ written: 1, remaining: 0 }) }) } });

/** A machine whose context holds its own ref (a cycle through the actor system) and an error. */
const tangled = setup({ types: { context: {} as { self: unknown; error: Error; big: bigint; nested: Record<string, unknown> } } }).createMachine({
  id: 'tangled',
  context: ({ self }) => ({ self, error: new TypeError('bad'), big: 12n, nested: {} }),
  entry: assign(({ context }) => {
    const nested: Record<string, unknown> = { name: 'loop' };
    nested.again = nested;
    return { ...context, nested };
  }),
});

function parse(text: string): Record<string, unknown>[] {
  return text
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('createJsonlRecorder', () => {
  const dir = useTempDir('kiq-inspect-', 'all');

  it('writes one JSON line per inspection event to a file, flushed by close()', async () => {
    const path = join(dir(), 'flusher.jsonl');
    const recorder = createJsonlRecorder(path);
    const actor = createActor(flusher, { id: 'flusher', systemId: 'flusher', input: { interval: 10, maxInterval: 50 }, inspect: recorder }).start();
    actor.send({ type: 'enqueued' });
    await new Promise((resolve) => setTimeout(resolve, 20));
    actor.stop();
    await recorder.close();

    const lines = parse(await readFile(path, 'utf8'));
    expect(lines).to.have.length(recorder.count);
    expect(lines.map((l) => l.seq)).to.deep.equal(lines.map((_, i) => i + 1));
    const [first] = lines;
    expect(first).to.include({ type: '@xstate.actor', id: 'flusher', systemId: 'flusher', machine: 'flusher', parentSessionId: null });
    expect(first!.sessionId).to.equal(actor.sessionId);
    // the invoked io actor (every flush call) is a child of the flusher
    const flushActor = lines.find((l) => l.type === '@xstate.actor' && l.id === 'io');
    expect(flushActor).to.include({ parentSessionId: actor.sessionId });
    expect(flushActor).to.not.have.property('machine');
    const values = lines.filter((l) => l.type === '@xstate.snapshot' && l.id === 'flusher').map((l) => l.value);
    expect(values).to.include('idle');
    const enqueued = lines.find((l) => l.type === '@xstate.event' && (l.event as { type: string }).type === 'enqueued');
    expect(enqueued).to.include({ id: 'flusher', sourceSessionId: null });
    expect(lines.at(-1)).to.include({ type: '@xstate.snapshot', id: 'flusher', status: 'stopped' });
  });

  it('serialises only plain data: refs, errors, cycles and bigints are named, not followed', async () => {
    const chunks: string[] = [];
    const recorder = createJsonlRecorder({ write: (chunk: string) => chunks.push(chunk) }, { context: true });
    const actor = createActor(tangled, { inspect: recorder }).start();
    await recorder.close();
    actor.stop();

    const snapshot = parse(chunks.join('')).find((l) => l.type === '@xstate.snapshot');
    expect(snapshot?.context).to.deep.equal({
      self: { $actor: actor.id, sessionId: actor.sessionId },
      error: { $error: 'TypeError', message: 'bad' },
      big: '12',
      nested: { name: 'loop', again: '[circular]' },
    });
  });

  it('keeps only the events the filter accepts, and nothing after close()', async () => {
    const chunks: string[] = [];
    const recorder = createJsonlRecorder({ write: (chunk: string) => chunks.push(chunk) }, { filter: (e: InspectionEvent) => e.type === '@xstate.snapshot' });
    const actor = createActor(flusher, { input: { interval: 10, maxInterval: 50 }, inspect: recorder }).start();
    await recorder.close();
    actor.send({ type: 'shutdown' });
    await new Promise((resolve) => setImmediate(resolve));
    const lines = parse(chunks.join(''));
    expect(lines.length).to.be.greaterThan(0);
    expect(new Set(lines.map((l) => l.type))).to.deep.equal(new Set(['@xstate.snapshot']));
    expect(lines).to.have.length(recorder.count);
    actor.stop();
  });

  it('rejects close() with the error of a file it could not write', async () => {
    const recorder = createJsonlRecorder(join(dir(), 'no-such-dir', 'x.jsonl'));
    recorder.next({ type: '@xstate.event', actorRef: { id: 'a', sessionId: 'x:1' }, rootId: 'x:0', sourceRef: undefined, event: { type: 'e' } } as never);
    let failure: unknown;
    await recorder.close().catch((error: unknown) => (failure = error));
    expect((failure as NodeJS.ErrnoException | undefined)?.code).to.equal('ENOENT');
  });

  it('toPlain truncates long strings and arrays and stops at the depth limit', () => {
    expect(toPlain('x'.repeat(10), { maxString: 4 })).to.equal('xxxx…(+6 chars)');
    expect(toPlain([1, 2, 3], { maxItems: 2 })).to.deep.equal([1, 2, '…(+1 items)']);
    expect(toPlain({ a: { b: { c: 1 } } }, { depth: 2 })).to.deep.equal({ a: { b: '[depth]' } });
    expect(toPlain({ f() {}, u: undefined, n: Number.NaN, m: new Map([['k', 1]]), c: new URL('http://x') })).to.deep.equal({
      n: 'NaN',
      m: { k: 1 },
      c: { $instance: 'URL' },
    });
  });
});
