import { expect } from 'chai';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AnyActorRef, InspectionEvent } from 'xstate';
import { exampleTree, treePaths } from '../../src/diagrams/actor-tree.js';
import { attachInspector, createJsonlRecorder } from '../../src/inspect/index.js';
import { Kiq, defineWorker } from '../../src/index.js';
import { silent } from '../support/logger.js';
import { useRedis } from '../support/redis.js';
import { deferred } from '../support/wait.js';
import { useTempDir } from '../support/temp-dir.js';

interface Line {
  seq: number;
  type: string;
  id: string;
  sessionId: string;
  parentSessionId?: string | null;
  machine?: string;
  systemId?: string;
  event?: { type: string };
  value?: unknown;
  status?: string;
}

let onPerform: (() => void) | undefined;
const Echo = defineWorker({
  class: 'Echo',
  queue: 'a',
  perform() {
    onPerform?.();
  },
});

/** `kiq/queue:a/fetcher`-style paths of the statechart actors announced in `lines`. */
function machinePaths(lines: readonly Line[]): string[] {
  const actors = new Map(lines.filter((l) => l.type === '@xstate.actor').map((l) => [l.sessionId, l]));
  const pathOf = (line: Line): string => {
    const parent = line.parentSessionId ? actors.get(line.parentSessionId) : undefined;
    return parent ? `${pathOf(parent)}/${line.id}` : line.id;
  };
  return [...new Set([...actors.values()].filter((l) => l.machine !== undefined).map(pathOf))].sort();
}

const QUEUES = { a: 1, b: 1 };

describe('Inspecting a running Kiq (real Redis)', function () {
  this.timeout(20_000);
  const redis = useRedis();
  const dir = useTempDir('kiq-inspect-', 'all');
  afterEach(() => {
    onPerform = undefined;
  });

  it('records the whole tree from the `inspect` option: kiq → flusher, tickers, queue:* → fetcher', async () => {
    const path = join(dir(), 'run.jsonl');
    const recorder = createJsonlRecorder(path);
    const kiq = new Kiq({ redisUrl: redis.url, queues: QUEUES, workers: [Echo], fetchInterval: 50, logger: silent(), inspect: recorder });
    await kiq.start();
    const ran = deferred(5000, 'perform');
    onPerform = () => ran.resolve();
    await kiq.enqueue(Echo, []);
    await ran.promise;
    await kiq.stop();
    await recorder.close();

    const lines = (await readFile(path, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Line);
    const paths = machinePaths(lines);
    for (const expected of ['kiq', 'kiq/flusher', 'kiq/beat', 'kiq/resurrector', 'kiq/poller:retry', 'kiq/poller:schedule', 'kiq/queue:a', 'kiq/queue:a/fetcher', 'kiq/queue:b', 'kiq/queue:b/fetcher']) {
      expect(paths, expected).to.include(expected);
    }
    // the tree drawn in diagrams/index.md (derived from buildTree without starting it) is the live one
    expect(paths).to.deep.equal(treePaths(exampleTree({ queues: QUEUES })).sort());

    const root = lines.find((l) => l.type === '@xstate.actor' && l.id === 'kiq')!;
    expect(root).to.include({ parentSessionId: null, systemId: 'kiq', machine: 'kiq' });
    const queueA = lines.find((l) => l.type === '@xstate.actor' && l.id === 'queue:a')!;
    expect(queueA).to.include({ parentSessionId: root.sessionId, systemId: 'queue:a', machine: 'queue' });
    // the job reached queue:a from its fetcher, and its end was reported back
    const toQueueA = lines.filter((l) => l.type === '@xstate.event' && l.sessionId === queueA.sessionId).map((l) => l.event!.type);
    expect(toQueueA).to.include.members(['jobs', 'job.finished', 'shutdown']);
    // every actor stopped in the end, the root last with status done
    const last = lines.filter((l) => l.type === '@xstate.snapshot' && l.sessionId === root.sessionId).at(-1);
    expect(last).to.include({ status: 'done' });
  });

  it('attached after start, sees every existing actor re-announced, then the live events', async () => {
    let root: AnyActorRef | undefined;
    // kiq.ts owns its root: capture it from its own announcement
    const capture = (event: InspectionEvent) => {
      if (event.type === '@xstate.actor' && (event.actorRef as AnyActorRef)._parent === undefined) root ??= event.actorRef as AnyActorRef;
    };
    const kiq = new Kiq({ redisUrl: redis.url, queues: QUEUES, workers: [Echo], fetchInterval: 50, logger: silent(), inspect: capture });
    await kiq.start();
    try {
      expect(root?.id).to.equal('kiq');
      const chunks: string[] = [];
      const recorder = createJsonlRecorder({ write: (chunk: string) => chunks.push(chunk) });
      const sub = attachInspector(root!, recorder);
      const ran = deferred(5000, 'perform');
      onPerform = () => ran.resolve();
      await kiq.enqueue(Echo, []);
      await ran.promise;
      sub.unsubscribe();
      await recorder.close();

      const lines = chunks
        .join('')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Line);
      const firstLive = lines.findIndex((l) => l.type !== '@xstate.actor');
      const announced = lines.slice(0, firstLive);
      expect(machinePaths(announced)).to.deep.equal(treePaths(exampleTree({ queues: QUEUES })).sort());
      // parents come before their children
      const seen = new Set<string>();
      for (const line of announced) {
        if (line.parentSessionId) expect(seen.has(line.parentSessionId), `${line.id}'s parent`).to.equal(true);
        seen.add(line.sessionId);
      }
      // then the live stream: the job's events, and actors created since (fetch calls) under known parents
      expect(lines.slice(firstLive).some((l) => l.type === '@xstate.event' && l.event?.type === 'jobs')).to.equal(true);
    } finally {
      await kiq.stop();
    }
  });
});
