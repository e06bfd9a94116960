/**
 * @internal
 * A throwaway `redis-server` for `kiq demo`: a free loopback port, no
 * persistence (`--save '' --appendonly no`), stopped by pid when the demo
 * ends. (The test suite has its own copy in test/support: src must not import
 * from test.)
 *
 * The server runs in its own process group (`detached`): Ctrl-C in a terminal
 * signals the whole foreground group, and a Redis that died with the demo
 * would leave nothing for the demo's graceful stop to write to. The demo stops
 * it itself, and an `exit` hook kills it if the demo ends any other way
 * (an uncaught error, `process.exit`); only a SIGKILLed demo leaves it behind.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { connect, createServer } from 'node:net';

/** A running throwaway Redis. */
export interface ThrowawayRedis {
  readonly port: number;
  readonly pid: number;
  /** `redis://127.0.0.1:<port>`. */
  readonly url: string;
  /** SIGTERM, then SIGKILL after 2 s; resolves when it has exited. Idempotent. */
  stop(): Promise<void>;
}

/** What `redis-server --version` says, or `undefined` when it is not on PATH. */
export interface RedisServerVersion {
  /** e.g. `7.0.15`. */
  readonly version: string;
  /** Kiq needs ≥ 6.2 (BLMOVE, ZADD GT/LT, GETDEL). */
  readonly supported: boolean;
}

/** Finds `redis-server` on `env.PATH` and reads its version. */
export function redisServerVersion(env: NodeJS.ProcessEnv = process.env): RedisServerVersion | undefined {
  const result = spawnSync('redis-server', ['--version'], { env, encoding: 'utf8', timeout: 5000 });
  if (result.error || result.status !== 0) return undefined;
  const version = /v=(\d+\.\d+\.\d+)/.exec(result.stdout)?.[1] ?? '0.0.0';
  const [major = 0, minor = 0] = version.split('.').map(Number);
  return { version, supported: major > 6 || (major === 6 && minor >= 2) };
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Start `redis-server` on a free port and resolve once it answers PING
 * (rejects after 10 s, with what the server printed). Another process may
 * grab the port between the probe and the bind: then this tries a new port,
 * up to 3 times.
 */
export async function startThrowawayRedis(env: NodeJS.ProcessEnv = process.env): Promise<ThrowawayRedis> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt += 1) {
    try {
      return await startOnce(await freePort(), env);
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError;
}

async function startOnce(port: number, env: NodeJS.ProcessEnv): Promise<ThrowawayRedis> {
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--loglevel', 'warning'];
  const child: ChildProcess = spawn('redis-server', args, { env, stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  let output = '';
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const pid = child.pid ?? 0;
  // an abrupt end of the demo must not leave the server running
  const killOnExit = (): void => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);

  const deadline = Date.now() + 10_000;
  while (!(await pings(port))) {
    if (child.exitCode !== null || child.signalCode !== null || Date.now() > deadline) {
      killOnExit();
      process.off('exit', killOnExit);
      throw new Error(`redis-server on port ${port} did not start: ${output.trim() || 'no output'}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  let stopping: Promise<void> | undefined;
  return {
    port,
    pid,
    url: `redis://127.0.0.1:${port}`,
    stop() {
      stopping ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGTERM');
          const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
          await exited;
          clearTimeout(timer);
        }
        process.off('exit', killOnExit);
      })();
      return stopping;
    },
  };
}

/** True when something on `port` answers `+PONG`. */
function pings(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.on('error', () => done(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (data) => done(data.toString().startsWith('+PONG')));
  });
}
