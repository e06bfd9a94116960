/**
 * Summarise a V8 .cpuprofile (from `node --cpu-prof`): self and inclusive
 * time per function, self time per file / package, optionally only for the
 * samples inside a time window (the `--window A:B` that process.bench.ts
 * prints when profiled).
 *
 *   node --import tsx test/bench/cpuprofile-top.ts <file.cpuprofile> [--window A:B] [--top 30] [--focus TEXT] [--per-job N]
 *
 * `--per-job N`: first a budget table, self time grouped by category
 * (lib/profile-categories.ts: decode, xstate events, promise/hook
 * bookkeeping, ioredis reply parsing, ack batching, …) in ms, % and µs per
 * job for the N jobs of the window (process.bench.ts prints `--window A:B
 * --per-job N` when run under --cpu-prof). Its µs/job add up to the
 * profiled thread's CPU per job (the main thread only: no GC helper threads).
 *
 * `--focus TEXT`: also split the inclusive time of every frame whose label
 * contains TEXT by its direct callees (and by its callers).
 */
import { readFileSync } from 'node:fs';
import { CATEGORIES, stackCategory, type Category, type FrameInfo } from './lib/profile-categories.js';

interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  readonly lineNumber: number;
}
interface ProfileNode {
  readonly id: number;
  readonly callFrame: CallFrame;
  readonly children?: readonly number[];
}
interface Profile {
  readonly nodes: readonly ProfileNode[];
  readonly startTime: number;
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** file:// URL of this checkout's root, with a trailing slash. */
const REPO_ROOT = new URL('../../', import.meta.url).href;

function parseArgs(argv: readonly string[]) {
  let file: string | undefined;
  let window: [number, number] | undefined;
  let top = 30;
  let focus: string | undefined;
  let perJob: number | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--window') {
      const [from, to] = (argv[++i] ?? '').split(':').map(Number);
      if (!Number.isFinite(from) || !Number.isFinite(to)) throw new Error('--window needs A:B (µs, as printed by the bench)');
      window = [from!, to!];
    } else if (arg === '--focus') {
      focus = argv[++i];
    } else if (arg === '--per-job') {
      perJob = Number(argv[++i]);
      if (!Number.isInteger(perJob) || perJob < 1) throw new Error('--per-job needs a positive job count');
    } else if (arg === '--top') {
      top = Number(argv[++i]);
    } else {
      file = arg;
    }
  }
  if (!file) throw new Error('usage: cpuprofile-top.ts <file.cpuprofile> [--window A:B] [--top N]');
  return { file, window, top, focus, perJob };
}

/** A short place name: repo-relative path, `pkg:<name>` for node_modules, `node:` internals, or the V8 pseudo-frame. */
function place(url: string): string {
  if (!url) return '(native/v8)';
  const modules = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (modules) return `pkg:${modules[1]}`;
  if (url.startsWith('node:')) return url;
  // repo-relative: this checkout's root, or any checkout's src/, test/, machines/
  if (url.startsWith(REPO_ROOT)) return url.slice(REPO_ROOT.length);
  return url.replace(/^file:\/\//, '').replace(/^.*?\/(src|test|machines)\//, '$1/');
}

function label(frame: CallFrame): string {
  const name = frame.functionName || '(anonymous)';
  if (!frame.url) return name;
  return `${name}  ${place(frame.url)}:${frame.lineNumber + 1}`;
}

const { file, window, top, focus, perJob } = parseArgs(process.argv.slice(2));
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map<number, ProfileNode>(profile.nodes.map((node) => [node.id, node]));
const parent = new Map<number, number>();
for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);

/** Category of each node, memoised: the innermost recognised frame of its stack. */
const categoryOf = new Map<number, Category>();
function nodeCategory(id: number): Category {
  const known = categoryOf.get(id);
  if (known) return known;
  const stack: FrameInfo[] = [];
  for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
    const frame = byId.get(at)!.callFrame;
    stack.push({ functionName: frame.functionName, place: frame.url ? place(frame.url) : '' });
  }
  const category = stackCategory(stack);
  categoryOf.set(id, category);
  return category;
}
const byCategory = new Map<Category, number>();

const self = new Map<string, number>();
const inclusive = new Map<string, number>();
const files = new Map<string, number>();
const callees = new Map<string, number>();
const callers = new Map<string, number>();
let total = 0;
let t = profile.startTime;
for (let i = 0; i < profile.samples.length; i++) {
  t += profile.timeDeltas[i] ?? 0;
  const dt = profile.timeDeltas[i + 1] ?? 0; // time until the next sample is charged to this one
  if (window && (t < window[0] || t > window[1])) continue;
  const leaf = byId.get(profile.samples[i]!)!;
  if (leaf.callFrame.functionName === '(idle)') continue;
  total += dt;
  const category = nodeCategory(leaf.id);
  byCategory.set(category, (byCategory.get(category) ?? 0) + dt);
  const leafLabel = label(leaf.callFrame);
  self.set(leafLabel, (self.get(leafLabel) ?? 0) + dt);
  const leafPlace = leaf.callFrame.url ? place(leaf.callFrame.url) : leaf.callFrame.functionName;
  files.set(leafPlace, (files.get(leafPlace) ?? 0) + dt);
  const seen = new Set<string>();
  let below = '(self)';
  let focused = false;
  for (let id: number | undefined = leaf.id; id !== undefined; id = parent.get(id)) {
    const name = label(byId.get(id)!.callFrame);
    if (focus && !focused && name.includes(focus)) {
      // outermost-first attribution would double count recursion; the innermost match is charged
      focused = true;
      callees.set(below, (callees.get(below) ?? 0) + dt);
      const up = parent.get(id);
      const caller = up === undefined ? '(none)' : label(byId.get(up)!.callFrame);
      callers.set(caller, (callers.get(caller) ?? 0) + dt);
    }
    below = name;
    if (seen.has(name)) continue;
    seen.add(name);
    inclusive.set(name, (inclusive.get(name) ?? 0) + dt);
  }
}

function print(title: string, map: Map<string, number>, n: number): void {
  console.log(`\n${title}`);
  const rows = [...map].sort((a, b) => b[1] - a[1]).slice(0, n);
  for (const [name, us] of rows) console.log(`${((us / total) * 100).toFixed(1).padStart(6)}%  ${(us / 1000).toFixed(0).padStart(7)} ms  ${name}`);
}

console.log(`${file}: ${(total / 1000).toFixed(0)} ms of non-idle samples${window ? ` in window ${window[0]}:${window[1]}` : ''}`);
if (perJob !== undefined) {
  console.log(`\nper-job budget: self time by category, ${perJob.toLocaleString('en-US')} jobs\n`);
  console.log('| category | ms | % | µs/job |');
  console.log('|---|---:|---:|---:|');
  for (const category of CATEGORIES) {
    const us = byCategory.get(category) ?? 0;
    if (us === 0) continue;
    console.log(`| ${category} | ${(us / 1000).toFixed(0)} | ${((us / total) * 100).toFixed(1)} | ${(us / perJob).toFixed(2)} |`);
  }
  console.log(`| **total** | ${(total / 1000).toFixed(0)} | 100.0 | ${(total / perJob).toFixed(2)} |`);
}
print('self time by file / package', files, top);
print('self time by function', self, top);
print('inclusive time by function', inclusive, top);
if (focus) {
  print(`"${focus}" (innermost match): time by direct callee`, callees, top);
  print(`"${focus}" (innermost match): time by caller`, callers, top);
}
