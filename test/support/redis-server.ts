/**
 * Starts and stops throwaway `redis-server` processes for tests: no
 * persistence, a free loopback port, stopped by pid. No Redis mocks anywhere.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { freePort } from '../../src/demo/redis-server.js';

export { freePort };

/** A running throwaway Redis. */
export interface RedisServer {
  readonly port: number;
  readonly pid: number;
  /** `redis://127.0.0.1:<port>` (append `/<db>` for a database). */
  readonly url: string;
  /** Stops it (SIGTERM, then SIGKILL after 2 s) and resolves when it has exited. */
  stop(): Promise<void>;
}

/** Whether `redis-server` is on PATH. */
export function hasRedisServer(): boolean {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
}

/** How to start a throwaway server. */
export interface StartOptions {
  /** Plain TCP port; a free one by default. */
  port?: number;
  /** Serve TLS only, on `port`, with these PEM files (the URL becomes `rediss://`). */
  tls?: { cert: string; key: string };
  /** Run as a Sentinel with this config file (written by the caller, must be writable). */
  sentinelConfig?: string;
  /** More `redis-server` arguments, after the defaults (a repeated option overrides, e.g. `--appendonly yes --dir <tmp>`). */
  extraArgs?: readonly string[];
}

/** Start `redis-server` (a free port by default) and wait until it answers PING. */
export async function startRedisServer(portOrOptions?: number | StartOptions): Promise<RedisServer> {
  const options: StartOptions = typeof portOrOptions === 'number' ? { port: portOrOptions } : (portOrOptions ?? {});
  const chosen = options.port ?? (await freePort());
  const common = ['--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--loglevel', 'warning'];
  const args = options.sentinelConfig
    ? [options.sentinelConfig, '--sentinel', '--port', String(chosen), ...common]
    : options.tls
      ? ['--port', '0', '--tls-port', String(chosen), '--tls-cert-file', options.tls.cert, '--tls-key-file', options.tls.key,
         '--tls-ca-cert-file', options.tls.cert, '--tls-auth-clients', 'no', '--databases', '64', ...common]
      : ['--port', String(chosen), '--databases', '64', ...common];
  args.push(...(options.extraArgs ?? []));
  const child: ChildProcess = spawn('redis-server', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 10_000;
  while (!(await pings(chosen, options.tls !== undefined))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`redis-server on port ${chosen} did not start: ${stderr.trim() || 'no output'}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  const pid = child.pid ?? 0;
  return {
    port: chosen,
    pid,
    url: `${options.tls ? 'rediss' : 'redis'}://127.0.0.1:${chosen}`,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** True when something on `port` answers `+PONG`. */
function pings(port: number, tls = false): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tls ? tlsConnect({ port, host: '127.0.0.1', rejectUnauthorized: false }) : connect(port, '127.0.0.1');
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.on('error', () => done(false));
    socket.on(tls ? 'secureConnect' : 'connect', () => socket.write('PING\r\n'));
    socket.on('data', (data) => done(data.toString().startsWith('+PONG')));
  });
}
