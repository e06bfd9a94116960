/**
 * Where a CPU-profile sample's time goes, by category, for the per-job µs
 * budget table of cpuprofile-top.ts (`--per-job N`). A sample is charged to
 * the innermost frame of its stack that a rule below recognises, so a native
 * builtin (JSON.parse, a Map lookup) counts for the code that called it, and
 * socket writes inside ioredis count as socket I/O. Rules match the frame's
 * place (repo path, `pkg:<name>`, `node:` internal) and function name; file
 * names rather than functions, so they survive refactors inside a file.
 */

/** One frame as the rules see it. */
export interface FrameInfo {
  /** "(garbage collector)", "parse", … as V8 names it. */
  readonly functionName: string;
  /** Repo-relative path, `pkg:<name>`, `node:…`, or '' for native/V8 frames. */
  readonly place: string;
}

/** The categories, in the order the table prints them. */
export const CATEGORIES = [
  'decode (job JSON → Job)',
  'encode / build (push side)',
  'xstate events',
  'promise / hook bookkeeping',
  'ioredis reply parsing',
  'ioredis commands (build, queue, callbacks)',
  'socket I/O (node:net, streams)',
  'fetch (queue logic, fetch ops)',
  'ack batching',
  'heartbeat / metrics / telemetry',
  'reporters / logging (event formatting)',
  'job run, hooks, settle',
  'kiq: other',
  'bench harness',
  'GC',
  'V8 / program (unattributed)',
  'other',
] as const;

/** A category name. */
export type Category = (typeof CATEGORIES)[number];

const RULES: readonly [Category, (f: FrameInfo) => boolean][] = [
  ['GC', (f) => f.functionName === '(garbage collector)'],
  ['ioredis reply parsing', (f) => f.place === 'pkg:redis-parser' || /pkg:ioredis.*DataHandler/.test(f.place) || f.functionName === 'returnReply'],
  ['ioredis commands (build, queue, callbacks)', (f) => /^pkg:(ioredis|@ioredis\/[^/]+|denque|redis-commands|cluster-key-slot|standard-as-callback|redis-errors)$/.test(f.place)],
  ['xstate events', (f) => f.place === 'pkg:xstate'],
  [
    'promise / hook bookkeeping',
    (f) =>
      /^node:(internal\/)?(async_hooks|process\/task_queues|process\/promises|timers|internal\/timers)/.test(f.place) ||
      ['runMicrotasks', 'processTicksAndRejections', 'processPromiseRejections'].includes(f.functionName),
  ],
  ['socket I/O (node:net, streams)', (f) => /^node:(net|stream|internal\/stream_base_commons|internal\/streams|internal\/net|buffer)/.test(f.place)],
  ['ack batching', (f) => /^src\/.*ack/i.test(f.place)],
  ['decode (job JSON → Job)', (f) => /^src\/job\/(decode|payload|timestamp)/.test(f.place)],
  ['encode / build (push side)', (f) => /^src\/(job\/(encode|build|jid|patch|unique-digest)|client\/)/.test(f.place)],
  ['fetch (queue logic, fetch ops)', (f) => /^src\/server\/(ops\/fetch|queue-logic|fetch)/.test(f.place)],
  ['heartbeat / metrics / telemetry', (f) => /^src\/(server\/(heartbeat|ops\/beat|process-state|senator|metrics\/)|telemetry|metrics)/.test(f.place)],
  ['reporters / logging (event formatting)', (f) => /^src\/(reporters\/|events\.ts)/.test(f.place)],
  ['job run, hooks, settle', (f) => /^src\/(server\/(runner|job-settler)|job-events|worker)/.test(f.place)],
  ['kiq: other', (f) => f.place.startsWith('src/')],
  ['bench harness', (f) => f.place.startsWith('test/')],
];

/** The category of one frame, or `undefined` to look at its caller (native frames, unknown places). */
export function frameCategory(frame: FrameInfo): Category | undefined {
  for (const [category, matches] of RULES) if (matches(frame)) return category;
  return undefined;
}

/**
 * The category of a leaf, given its stack innermost first: the first frame a
 * rule recognises; '(program)'/'(root)' alone is "V8 / program"; a stack of
 * only unrecognised frames is "other".
 */
export function stackCategory(stack: readonly FrameInfo[]): Category {
  for (const frame of stack) {
    const category = frameCategory(frame);
    if (category) return category;
  }
  const leaf = stack[0];
  return leaf && !leaf.place && /^\((program|root)\)$/.test(leaf.functionName) ? 'V8 / program (unattributed)' : 'other';
}
