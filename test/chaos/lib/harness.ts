/**
 * What every fault scenario sets up and tears down: its own `redis-server` on
 * a free port (restartable on the same port and data directory), a record
 * directory for the workers, a {@link Ledger}, an admin connection, an
 * enqueue-only Kiq client (public API) and the Kiq server processes.
 * {@link Harness.close} stops all of it, by pid, whatever state it is in.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { Kiq } from '../../../src/index.js';
import { startRedisServer, type RedisServer } from '../../support/redis-server.js';
import { KiqProcess, type KiqProcessOptions } from './kiq-process.js';
import { Ledger } from './ledger.js';
import { commonFailures, type Figures } from './report.js';

/** The worker class of test/chaos/fixtures/server.ts. */
export const CHAOS_CLASS = 'ChaosJob';

/** How to set a scenario up. */
export interface HarnessOptions {
  /** Redis persistence: `aof` = `--appendonly yes --appendfsync always` in a temporary directory. @defaultValue none */
  readonly persistence?: 'none' | 'aof';
}

/** One scenario's Redis, processes and accounting. */
export class Harness {
  readonly dir: string;
  readonly ledger: Ledger;
  readonly processes: KiqProcess[] = [];
  #redis: RedisServer;
  readonly #args: string[];
  #admin: Redis | undefined;
  #client: Kiq | undefined;

  private constructor(dir: string, redis: RedisServer, args: string[]) {
    this.dir = dir;
    this.#redis = redis;
    this.#args = args;
    this.ledger = new Ledger(dir);
  }

  /** Start Redis and an empty record directory. */
  static async open(options: HarnessOptions = {}): Promise<Harness> {
    const dir = mkdtempSync(join(tmpdir(), 'kiq-chaos-'));
    const args = options.persistence === 'aof' ? ['--appendonly', 'yes', '--appendfsync', 'always', '--dir', dir] : [];
    const redis = await startRedisServer({ extraArgs: args });
    return new Harness(dir, redis, args);
  }

  /** The Redis port (stays the same across restarts). */
  get port(): number {
    return this.#redis.port;
  }

  /** `redis://127.0.0.1:<port>`; with `user`/`password`, a URL carrying them. */
  url(user?: string, password?: string): string {
    if (user === undefined) return this.#redis.url;
    return `redis://${encodeURIComponent(user)}:${encodeURIComponent(password ?? '')}@127.0.0.1:${this.port}`;
  }

  /** A plain connection for the driver's own reads and raw writes (default user). */
  admin(): Redis {
    this.#admin ??= new Redis(this.#redis.url, { maxRetriesPerRequest: 3, lazyConnect: false });
    return this.#admin;
  }

  /** An enqueue-only Kiq (`server: false`): a live client across faults, with its reliable-push buffer. */
  async client(): Promise<Kiq> {
    if (!this.#client) {
      const client = new Kiq({ server: false, redisUrl: this.#redis.url, logger: { info: () => {}, warn: () => {}, error: () => {} } });
      await client.start();
      this.#client = client;
    }
    return this.#client;
  }

  /** Enqueue `count` ChaosJobs with ids `<prefix><i>` through {@link client}; returns the ids (already expected by the ledger). */
  async enqueue(prefix: string, count: number, queue: string, from = 0): Promise<string[]> {
    const client = await this.client();
    const ids: string[] = [];
    for (let i = from; i < from + count; i += 1) {
      const id = `${prefix}${i}`;
      ids.push(id);
      await client.enqueue({ class: CHAOS_CLASS, queue, args: [id] });
    }
    this.ledger.expect(ids);
    return ids;
  }

  /** Fork a Kiq server on this Redis (not awaited: call `ready()` on it). */
  spawn(options: Omit<KiqProcessOptions, 'redisUrl' | 'recordDir'> & { redisUrl?: string }): KiqProcess {
    const process = new KiqProcess({ redisUrl: this.#redis.url, recordDir: this.dir, ...options });
    this.processes.push(process);
    return process;
  }

  /** Highest RSS of any server process, bytes. */
  peakRss(): number {
    return Math.max(0, ...this.processes.map((p) => p.peakRss));
  }

  /** Warn/error lines of processes that died without being killed, for failure messages. */
  crashes(): string[] {
    return this.processes.filter((p) => p.crashed).map((p) => `${p.options.label} died on its own: ${p.stderr().trim().slice(-300)}`);
  }

  /**
   * The run's figures: lost, duplicated and peak RSS from the ledger and the
   * processes; the failures every scenario shares (loss, stuck, no drain, a
   * process that died on its own, an id nobody enqueued) before the
   * scenario's own.
   */
  figures(run: {
    readonly scenario: string;
    readonly started: number;
    readonly drainedAt: number | undefined;
    readonly stuck: number;
    readonly resumeMs: number | undefined;
    readonly extra: Figures['extra'];
    readonly failures: readonly string[];
  }): Figures {
    const lost = this.ledger.missing().length;
    const drainMs = run.drainedAt === undefined ? undefined : run.drainedAt - run.started;
    const unexpected = this.ledger.unexpected();
    return {
      scenario: run.scenario,
      lost,
      duplicated: this.ledger.duplicated(),
      stuck: run.stuck,
      drainMs,
      resumeMs: run.resumeMs,
      peakRss: this.peakRss(),
      extra: run.extra,
      failures: [
        ...commonFailures({ lost, stuck: run.stuck, drainMs }),
        ...this.crashes(),
        ...(unexpected > 0 ? [`${unexpected} performed id(s) were never enqueued`] : []),
        ...run.failures,
      ],
    };
  }

  /** SIGTERM Redis (it finishes its AOF), wait `downMs`, start it again on the same port and directory; resolves to when it answers PING again. */
  async restartRedis(downMs: number): Promise<number> {
    await this.#redis.stop();
    await new Promise((resolve) => setTimeout(resolve, downMs));
    this.#redis = await startRedisServer({ port: this.port, extraArgs: this.#args });
    return Date.now();
  }

  /** Stop the servers (gracefully, then SIGKILL), the client, Redis; delete the record directory. */
  async close(): Promise<void> {
    await Promise.all(this.processes.map((p) => p.stop(15_000)));
    await this.#client?.stop({ timeout: 2_000 }).catch(() => undefined);
    this.#admin?.disconnect();
    await this.#redis.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
