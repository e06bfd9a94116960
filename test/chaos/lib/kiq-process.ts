/**
 * Control of one Kiq server process (test/chaos/fixtures/server.ts): fork it,
 * wait until it runs, SIGKILL it or stop it gracefully, and keep what it
 * reported: its log lines, its leadership changes, its peak RSS.
 *
 * Every process started here is remembered and SIGKILLed by pid in
 * {@link killAll} (and when the driver exits), so an aborted run leaves
 * nothing behind.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ServerCommand, ServerMessage } from '../fixtures/server.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/server.ts', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** How to start a server process. */
export interface KiqProcessOptions {
  /** Name for files and messages, unique per incarnation (e.g. `s1.3`). */
  readonly label: string;
  /** Redis URL for Kiq (credentials included when needed). */
  readonly redisUrl: string;
  /** Queue name → concurrency. */
  readonly queues: Readonly<Record<string, number>>;
  /** Directory of the perform records; the process writes `<label>.performed` there. */
  readonly recordDir: string;
  /** How long each job works, ms. */
  readonly jobMs: number;
  /** A fixed identity (a pod name); Kiq's default `hostname:pid:nonce` when absent. */
  readonly identity?: string;
  readonly leaderTtl?: number;
  readonly pollInterval?: number;
}

/** One log line the process reported. */
export interface LogLine {
  readonly level: 'info' | 'warn' | 'error';
  readonly line: string;
  /** The child's `Date.now()` (one clock on one host). */
  readonly at: number;
}

/** One `leader` event, on the child's clock. */
export interface LeaderChange {
  readonly leader: boolean;
  readonly at: number;
}

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/** A forked Kiq server. */
export class KiqProcess {
  readonly options: KiqProcessOptions;
  /** The file its worker appends each completed perform to. */
  readonly recordFile: string;
  readonly logs: LogLine[] = [];
  readonly changes: LeaderChange[] = [];
  /** Highest RSS it reported, bytes. */
  peakRss = 0;
  /** Kiq's identity, once ready. */
  identity: string | undefined;
  /** The parent's `Date.now()` when it died or was killed; undefined while alive. */
  diedAt: number | undefined;
  /** Resolves when the process exited. */
  readonly exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly #child: ChildProcess;
  readonly #ready: Promise<void>;
  #stderr = '';
  #killedByUs = false;
  #onStopped: (() => void) | undefined;

  /** Forks the process; {@link ready} says when it runs. */
  constructor(options: KiqProcessOptions) {
    this.options = options;
    this.recordFile = join(options.recordDir, `${options.label}.performed`);
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      CHAOS_REDIS_URL: options.redisUrl,
      CHAOS_QUEUES: JSON.stringify(options.queues),
      CHAOS_RECORD: this.recordFile,
      CHAOS_JOB_MS: String(options.jobMs),
    };
    if (options.identity !== undefined) env.CHAOS_IDENTITY = options.identity;
    if (options.leaderTtl !== undefined) env.CHAOS_LEADER_TTL = String(options.leaderTtl);
    if (options.pollInterval !== undefined) env.CHAOS_POLL_INTERVAL = String(options.pollInterval);
    const child = fork(FIXTURE, [], { cwd: REPO_ROOT, execArgv: ['--import', 'tsx'], env, silent: true });
    this.#child = child;
    live.add(child);
    child.stdout!.resume();
    child.stderr!.on('data', (chunk: Buffer) => (this.#stderr = (this.#stderr + chunk.toString()).slice(-4_000)));
    this.exit = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        this.diedAt ??= Date.now();
        live.delete(child);
        resolve({ code, signal });
      }),
    );
    this.#ready = new Promise<void>((resolve, reject) => {
      child.on('message', (message: ServerMessage) => {
        switch (message.type) {
          case 'ready':
            this.identity = message.identity;
            return resolve();
          case 'start_failed':
            return reject(new Error(`${options.label}: start() failed: ${message.error}`));
          case 'leader':
            this.changes.push({ leader: message.leader, at: message.at });
            return;
          case 'log':
            this.logs.push({ level: message.level, line: message.line, at: message.at });
            return;
          case 'rss':
            this.peakRss = Math.max(this.peakRss, message.rss);
            return;
          case 'stopped':
            this.#onStopped?.();
            return;
        }
      });
      void this.exit.then(({ code, signal }) =>
        reject(new Error(`${options.label} exited before it was ready (code ${code}, signal ${signal}): ${this.#stderr.trim()}`)),
      );
    });
    this.#ready.catch(() => undefined); // observed through ready(); an unawaited start must not crash the driver
  }

  /** Resolves once `kiq.start()` resolved in the child; rejects with its error if it failed or the process died first. */
  ready(timeoutMs = 60_000): Promise<void> {
    return withTimeout(this.#ready, timeoutMs, `${this.options.label} to start`);
  }

  /** Alive (not exited, not killed). */
  get alive(): boolean {
    return this.diedAt === undefined;
  }

  /** Whether it died while running (after it was ready) without us killing or stopping it. */
  get crashed(): boolean {
    return this.diedAt !== undefined && this.identity !== undefined && !this.#killedByUs;
  }

  /** Alive and its last `leader` event said it leads. */
  leads(): boolean {
    return this.alive && this.changes.at(-1)?.leader === true;
  }

  /** SIGKILL by pid; resolves once it exited. */
  async kill(): Promise<void> {
    if (!this.alive) return;
    this.#killedByUs = true;
    this.#child.kill('SIGKILL');
    this.diedAt = Date.now(); // it can no longer act
    await this.exit;
  }

  /** Graceful stop (`kiq.stop()` in the child); SIGKILL if it has not exited within `timeoutMs`. */
  async stop(timeoutMs = 30_000): Promise<void> {
    if (!this.alive) return;
    this.#killedByUs = true;
    const stopped = new Promise<void>((resolve) => (this.#onStopped = resolve));
    this.#child.send({ type: 'stop' } satisfies ServerCommand);
    try {
      await withTimeout(Promise.all([stopped, this.exit]), timeoutMs, `${this.options.label} to stop`);
    } catch {
      await this.kill();
    }
  }

  /** The end of its stderr, for failure messages. */
  stderr(): string {
    return this.#stderr;
  }
}

/** SIGKILL every process this module started that still runs. */
export async function killAll(): Promise<void> {
  await Promise.all(
    [...live].map((child) => new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    })),
  );
}

/** `promise`, or a rejection naming `what` after `ms`. */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
