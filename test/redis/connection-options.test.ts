import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { Kiq } from '../../src/index.js';
import { silent } from '../support/logger.js';
import { startRedisServer, type RedisServer } from '../support/redis-server.js';

const run = promisify(execFile);

/** Enqueue one job through `kiq` and read it back with `reader`. */
async function roundTrip(kiq: Kiq, reader: Redis): Promise<string | undefined> {
  await kiq.start();
  try {
    const job = await kiq.enqueue({ class: 'Through', args: [1] });
    await kiq.flush();
    const [raw] = await reader.lrange('queue:default', 0, -1);
    return raw === undefined ? undefined : (JSON.parse(raw).jid as string) === job.jid ? job.jid : 'wrong job';
  } finally {
    await kiq.stop();
  }
}

describe('Redis connection options pass through to ioredis', function () {
  this.timeout(30_000);
  let dir: string;
  const servers: RedisServer[] = [];
  const clients: Redis[] = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kiq-conn-'));
  });
  afterEach(async () => {
    for (const client of clients.splice(0)) client.disconnect();
    for (const server of servers.splice(0).reverse()) await server.stop();
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('connects over TLS with a rediss:// URL and TLS options', async () => {
    const cert = join(dir, 'cert.pem');
    const key = join(dir, 'key.pem');
    await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1',
      '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1']);
    const server = await startRedisServer({ tls: { cert, key } });
    servers.push(server);
    expect(server.url).to.match(/^rediss:\/\//);
    const ca = await readFile(cert);
    const reader = new Redis(`${server.url}/2`, { tls: { ca } });
    clients.push(reader);
    const kiq = new Kiq({ redisUrl: `${server.url}/2`, redis: { tls: { ca } }, server: false, logger: silent() });
    expect(await roundTrip(kiq, reader)).to.match(/^[0-9a-f]{24}$/);
  });

  it('finds the master through Redis Sentinel with the sentinels and name options', async () => {
    const master = await startRedisServer();
    servers.push(master);
    const config = join(dir, 'sentinel.conf');
    await writeFile(config, `sentinel monitor kiqmaster 127.0.0.1 ${master.port} 1\nsentinel down-after-milliseconds kiqmaster 5000\n`);
    const sentinel = await startRedisServer({ sentinelConfig: config });
    servers.push(sentinel);
    const reader = new Redis(`${master.url}/3`);
    clients.push(reader);
    const kiq = new Kiq({
      redisUrl: 'redis://ignored-by-sentinel:1/3',
      redis: { sentinels: [{ host: '127.0.0.1', port: sentinel.port }], name: 'kiqmaster' },
      server: false,
      logger: silent(),
    });
    expect(await roundTrip(kiq, reader)).to.match(/^[0-9a-f]{24}$/);
  });
});
