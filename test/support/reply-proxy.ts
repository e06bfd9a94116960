/**
 * A TCP proxy between Kiq and a real Redis that can lose or delay replies,
 * for tests of what happens when Redis applied a command but its reply
 * never reached the client (a connection drop, a Redis restart) or reached
 * it late. Client → Redis bytes always pass unchanged.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

/** A running proxy. */
export interface ReplyProxy {
  /** `redis://127.0.0.1:<port>` (append `/<db>`). */
  readonly url: string;
  /**
   * Lose the next reply chunk that contains `marker`: it is dropped and that
   * connection is cut (both sides), as if the network failed right after
   * Redis answered. Resolves once it happened.
   */
  loseReplyWith(marker: string): Promise<void>;
  /** Delay every reply to connections whose commands mentioned `marker` (e.g. a CLIENT SETNAME) by `ms`; 0 ends it. */
  delayRepliesOf(marker: string, ms: number): void;
  /** Stop listening and cut every connection. */
  close(): Promise<void>;
}

/** Start a proxy on a free loopback port in front of `127.0.0.1:<redisPort>`. */
export async function startReplyProxy(redisPort: number): Promise<ReplyProxy> {
  const sockets = new Set<Socket>();
  let lose: { marker: string; done: () => void } | undefined;
  const delays = new Map<string, number>();
  const server: Server = createServer((client) => {
    const upstream = connect(redisPort, '127.0.0.1');
    sockets.add(client).add(upstream);
    let said = '';
    const cut = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', cut).on('close', () => {
      sockets.delete(client);
      upstream.destroy();
    });
    upstream.on('error', cut).on('close', () => {
      sockets.delete(upstream);
      client.destroy();
    });
    client.on('data', (chunk: Buffer) => {
      if (said.length < 4096) said += chunk.toString('latin1');
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (lose && chunk.includes(lose.marker)) {
        const { done } = lose;
        lose = undefined;
        cut();
        done();
        return;
      }
      let delay = 0;
      for (const [marker, ms] of delays) if (said.includes(marker)) delay = Math.max(delay, ms);
      if (delay === 0) client.write(chunk);
      else setTimeout(() => client.writable && client.write(chunk), delay);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `redis://127.0.0.1:${port}`,
    loseReplyWith(marker) {
      return new Promise((resolve) => (lose = { marker, done: resolve }));
    },
    delayRepliesOf(marker, ms) {
      if (ms > 0) delays.set(marker, ms);
      else delays.delete(marker);
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
