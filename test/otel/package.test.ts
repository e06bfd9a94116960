/**
 * The built `kiq/otel` subpath (package.json `exports`), and zero cost at
 * run time: with a module hook that refuses every `@opentelemetry/*`
 * import, a server built from dist still enqueues and performs a job on
 * Redis, while
 * `kiq/otel` is refused (so the hook does catch the API being loaded).
 */
import { execFile } from 'node:child_process';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { useRedis } from '../support/redis.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../', import.meta.url));

const HOOKS = `
export async function resolve(specifier, context, next) {
  if (specifier.startsWith('@opentelemetry/')) throw new Error('refused: ' + specifier);
  return next(specifier, context);
}
`;

const REGISTER = `
import { register } from 'node:module';
register('./.otel-hooks-${process.pid}.mjs', import.meta.url);
`;

/** A server on Redis through the public entry point (enqueue, fetch, perform, stop), then an import of kiq/otel. */
const CONSUMER = `
import { Kiq, defineWorker } from 'kiq';
let done;
const performed = new Promise((resolve) => (done = resolve));
const Mailer = defineWorker({ class: 'Mailer', perform([to]) { done(to); } });
const logger = { info() {}, warn: console.error, error: console.error };
const kiq = new Kiq({ redisUrl: process.env.REDIS_URL, workers: [Mailer], fetchInterval: 50, logger, health: { prometheus: true } });
await kiq.start();
await kiq.enqueue(Mailer, ['a@b.c']);
const to = await performed;
await kiq.stop();
const otel = await import('kiq/otel').then((m) => typeof m.otelTracing, (e) => e.message);
console.log(JSON.stringify({ to, otel }));
`;

const SELF = `
import { otelTracing, otelMetrics, ATTR } from 'kiq/otel';
console.log(JSON.stringify({ tracing: typeof otelTracing, metrics: typeof otelMetrics, system: ATTR.system }));
`;

describe('The built kiq/otel', function () {
  this.timeout(120_000);
  const redis = useRedis();
  const files = ['hooks', 'register', 'consumer', 'self'].map((name) => join(root, `.otel-${name}-${process.pid}.mjs`));
  const [hooks, register, consumer, self] = files as [string, string, string, string];

  before(async () => {
    await run('npm', ['run', 'build', '--silent'], { cwd: root });
    await writeFile(hooks, HOOKS);
    await writeFile(register, REGISTER);
    await writeFile(consumer, CONSUMER);
    await writeFile(self, SELF);
  });
  after(async () => {
    for (const file of files) await rm(file, { force: true });
  });

  it("imports as 'kiq/otel' from dist (with @opentelemetry/api installed)", async () => {
    const { stdout } = await run(process.execPath, [self], { cwd: root });
    expect(JSON.parse(stdout)).to.deep.equal({ tracing: 'function', metrics: 'function', system: 'messaging.system' });
  });

  it('the core runs with every @opentelemetry/* import refused; kiq/otel is refused', async () => {
    const { stdout } = await run(process.execPath, ['--import', register, consumer], { cwd: root, timeout: 30_000, env: { ...process.env, REDIS_URL: redis.url } });
    const result = JSON.parse(stdout) as { to: string; otel: string };
    expect(result.to).to.equal('a@b.c');
    expect(result.otel).to.match(/refused: @opentelemetry\/api/);
  });
});
