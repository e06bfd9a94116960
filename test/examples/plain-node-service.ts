/**
 * Example: a plain Node HTTP service (node:http, no framework) that enqueues
 * one job per request through an enqueue-only Kiq client (`server: false`).
 * Some other process performs the jobs: `kiq work`, a Kiq server, or Ruby
 * Sidekiq (the class name is all that travels).
 *
 *   REDIS_URL=redis://127.0.0.1:6379 PORT=3000 node --import tsx test/examples/plain-node-service.ts
 *   curl -X POST 'http://127.0.0.1:3000/signup?email=a@b.c'   # 202 {"jid":"…"}
 *
 * Run by test/examples/plain-node-service.test.ts.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Kiq } from '../../src/index.js';

export interface Service {
  readonly url: string;
  readonly server: Server;
  readonly kiq: Kiq;
  /** Stops accepting requests, then writes every buffered job and disconnects. */
  close(): Promise<void>;
}

export async function startService(options: { redisUrl?: string; port?: number } = {}): Promise<Service> {
  const kiq = new Kiq({ server: false, ...(options.redisUrl ? { redisUrl: options.redisUrl } : {}) });
  await kiq.start();

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method !== 'POST' || url.pathname !== '/signup' || !url.searchParams.get('email')) {
      res.writeHead(404).end();
      return;
    }
    // A class Kiq need not define here: the worker lives in another process (Node or Ruby).
    kiq
      .enqueue({ class: 'WelcomeMail', queue: 'mailers', args: [url.searchParams.get('email')] }, { confirm: true })
      .then((receipt) => res.writeHead(202, { 'content-type': 'application/json' }).end(JSON.stringify({ jid: receipt.job.jid })))
      .catch((error: unknown) => res.writeHead(503).end(String(error)));
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    server,
    kiq,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await kiq.stop();
    },
  };
}

// Run directly: listen on PORT and stop cleanly on SIGTERM/SIGINT.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const service = await startService({ port: Number(process.env.PORT ?? 3000) });
  console.log(`listening on ${service.url}`);
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => void service.close());
}
