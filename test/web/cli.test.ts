/**
 * `kiq web` as a user runs it (a child process): serves the dashboard on
 * loopback, stops on SIGTERM, refuses a public address without basic auth,
 * and fails fast on an unreachable Redis.
 */
import type { ChildProcess } from 'node:child_process';
import { networkInterfaces } from 'node:os';
import { expect } from 'chai';
import { runKiq, spawnKiq } from '../cli/support.js';
import { useRedis } from '../support/redis.js';
import { deferred } from '../support/wait.js';

/** Wait for the "kiq web: http://…/" line and return the URL. */
function urlOf(child: ChildProcess): Promise<string> {
  const found = deferred<string>(20_000, 'kiq web to print its URL');
  let out = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    out += chunk.toString();
    const match = /kiq web: (http:\/\/\S+\/)/.exec(out);
    if (match) found.resolve(match[1]!);
  });
  return found.promise;
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

describe('kiq web', function () {
  this.timeout(40_000);
  const redis = useRedis();
  let child: ChildProcess | undefined;

  afterEach(() => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    child = undefined;
  });

  it('serves the dashboard on 127.0.0.1 and stops on SIGTERM', async () => {
    await redis.client.set('stat:processed', '31337');
    child = spawnKiq(['web', '--port', '0', '--redis-url', redis.url]);
    const url = await urlOf(child);
    expect(url).to.match(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const page = await fetch(url);
    expect(page.status).to.equal(200);
    expect(await page.text()).to.include('31,337');
    const done = exited(child);
    child.kill('SIGTERM');
    expect(await done).to.equal(0);
  });

  it('refuses a non-loopback host without KIQ_WEB_PASSWORD; with it, every request needs basic auth', async () => {
    const refused = await runKiq(['web', '--host', '0.0.0.0', '--port', '0', '--redis-url', redis.url]);
    expect(refused.code).to.equal(2);
    expect(refused.stderr).to.include('refusing to serve the dashboard on 0.0.0.0 without authentication');
    child = spawnKiq(['web', '--host', '0.0.0.0', '--port', '0', '--redis-url', redis.url], { env: { KIQ_WEB_USERNAME: 'ops', KIQ_WEB_PASSWORD: 'pw' } });
    const url = (await urlOf(child)).replace('0.0.0.0', '127.0.0.1');
    expect((await fetch(url)).status).to.equal(401);
    expect((await fetch(url, { headers: { authorization: `Basic ${Buffer.from('ops:pw').toString('base64')}` } })).status).to.equal(200);
  });

  it('--allow-unauthenticated serves a public host to everyone, with a loud warning', async function () {
    const external = Object.values(networkInterfaces()).flat().find((a) => a && !a.internal && a.family === 'IPv4')?.address;
    if (!external) this.skip();
    child = spawnKiq(['web', '--host', '0.0.0.0', '--port', '0', '--allow-unauthenticated', '--redis-url', redis.url]);
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const url = (await urlOf(child)).replace('0.0.0.0', external);
    expect((await fetch(url)).status).to.equal(200);
    expect(stderr).to.include('WITHOUT authentication');
  });

  it('--read-only and --prefix; an unreachable Redis fails at once (exit 1)', async () => {
    child = spawnKiq(['web', '--port', '0', '--prefix', '/kiq', '--read-only', '--redis-url', redis.url]);
    const url = await urlOf(child);
    expect(url).to.match(/\/kiq\/$/);
    const text = await (await fetch(`${url}retries`)).text();
    expect(text).to.include('read-only').and.include('href="/kiq/queues"');
    const down = await runKiq(['web', '--port', '0', '--redis-url', 'redis://127.0.0.1:1']);
    expect(down.code).to.equal(1);
    expect(down.stderr).to.include('cannot reach Redis at redis://127.0.0.1:1');
  });
});
