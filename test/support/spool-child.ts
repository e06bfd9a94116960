/**
 * Drives test/client/fixtures/spool-client.ts, a Kiq with a spool in its own
 * process: lines it prints are collected and awaited, and it can be
 * SIGKILLed at a chosen moment. `wrap` runs it under another command (e.g.
 * `unshare` with a tiny tmpfs for the spool).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { deferred } from './wait.js';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const FIXTURE = fileURLToPath(new URL('../client/fixtures/spool-client.ts', import.meta.url));

/** How to start the child. */
export interface SpoolChildOptions {
  readonly redisUrl: string;
  readonly dir: string;
  /** Jobs its `enqueue` command sends. */
  readonly jobs: number;
  /** A command and arguments the node command line is appended to. */
  readonly wrap?: readonly string[];
}

/** A running spool-client child and the lines it printed. */
export interface SpoolChild {
  readonly process: ChildProcess;
  readonly lines: string[];
  /** Resolves with the first line matching `pattern` (also one already printed). */
  line(pattern: RegExp, ms?: number): Promise<string>;
  kill(): Promise<void>;
}

/** Start the child; it prints `ready` once its Kiq started. */
export function startSpoolChild(options: SpoolChildOptions): SpoolChild {
  const { redisUrl, dir, jobs } = options;
  const command = [process.execPath, '--import', 'tsx', FIXTURE];
  const [file, ...args] = options.wrap ? [...options.wrap, ...command] : command;
  const child = spawn(file!, args, {
    cwd: REPO_ROOT,
    env: { ...process.env, REDIS_URL: redisUrl, SPOOL_DIR: dir, KIQ_JOBS: String(jobs) },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const watchers: { pattern: RegExp; resolve: (line: string) => void }[] = [];
  let stderr = '';
  let partial = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdout!.on('data', (chunk: Buffer) => {
    partial += chunk.toString();
    const parts = partial.split('\n');
    partial = parts.pop()!;
    for (const line of parts) {
      lines.push(line);
      for (const watcher of watchers.splice(0)) {
        if (watcher.pattern.test(line)) watcher.resolve(line);
        else watchers.push(watcher);
      }
    }
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    process: child,
    lines,
    line(pattern, ms = 20_000) {
      const seen = lines.find((line) => pattern.test(line));
      if (seen) return Promise.resolve(seen);
      const wait = deferred<string>(ms, `child line ${pattern} (printed: ${lines.slice(-5).join(' | ')}; stderr: ${stderr.trim().slice(-500)})`);
      watchers.push({ pattern, resolve: wait.resolve });
      return Promise.race([wait.promise, exited.then(() => { throw new Error(`child exited before ${pattern}: ${stderr.trim().slice(-500)}`); })]);
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

