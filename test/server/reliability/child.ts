/**
 * The reliability tests' child servers (test/server/fixtures/reliable-server.ts):
 * start one, read its log lines, SIGKILL it, and make sure none outlives
 * its test.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { deferred } from '../../support/wait.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/reliable-server.ts', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** A running child server. */
export interface ChildServer {
  readonly identity: string;
  readonly process: ChildProcess;
  /** Its JSON log lines so far (Kiq logs to its stderr). */
  logLines(): Record<string, unknown>[];
  /** SIGKILL it and wait for the exit. */
  kill(): Promise<void>;
}

/** The child servers started by the current file, for {@link killAll}. */
const running = new Set<ChildServer>();

/** Start a child server with `env` (REDIS_URL included); resolves once it printed `ready`. */
export async function startChild(env: Record<string, string>): Promise<ChildServer> {
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE], { cwd: REPO_ROOT, env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const ready = deferred<string>(20_000, 'the child server to start');
  child.stdout!.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    const match = /ready (\S+)\n/.exec(stdout);
    if (match) ready.resolve(match[1]!);
  });
  const exit = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const early = exit.then(() => {
    throw new Error(`child server exited early: ${stderr.trim()}`);
  });
  const server: ChildServer = {
    identity: '',
    process: child,
    logLines: () =>
      stderr.split('\n').flatMap((line) => {
        try {
          return [JSON.parse(line) as Record<string, unknown>];
        } catch {
          return [];
        }
      }),
    async kill() {
      running.delete(server);
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGKILL');
      await exit;
    },
  };
  running.add(server);
  const identity = await Promise.race([ready.promise, early]);
  early.catch(() => undefined);
  return Object.assign(server, { identity });
}

/** SIGKILL every child still running (an afterEach). */
export async function killAll(): Promise<void> {
  for (const server of [...running]) await server.kill();
}
