/**
 * A TCP proxy (node:net) between one Kiq process and Redis, to cut the
 * network without touching either end:
 *
 * - `drop()`: destroy every connection (both sides see a close) and refuse
 *   new ones, like a restarted firewall or a dead link that sends RST;
 * - `stall()`: stop forwarding in both directions without closing anything
 *   (a blackhole: no RST, no FIN, bytes just stop arriving); connections made
 *   meanwhile are accepted and held the same way;
 * - `heal()`: forward again (what a stall held is delivered, in order).
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

/** One client connection and its upstream. */
interface Pair {
  readonly client: Socket;
  readonly upstream: Socket;
  /** Chunks read during a stall, per direction, delivered on heal. */
  readonly held: { toUpstream: Buffer[]; toClient: Buffer[] };
}

/** The proxy's state. */
export type ProxyMode = 'open' | 'stall' | 'drop';

/** A running proxy to `127.0.0.1:<targetPort>`. */
export class TcpProxy {
  readonly #server: Server;
  readonly #targetPort: number;
  readonly #pairs = new Set<Pair>();
  #mode: ProxyMode = 'open';

  private constructor(server: Server, targetPort: number) {
    this.#server = server;
    this.#targetPort = targetPort;
    server.on('connection', (client) => this.#accept(client));
  }

  /** Listen on a free loopback port. */
  static start(targetPort: number): Promise<TcpProxy> {
    const server = createServer();
    const proxy = new TcpProxy(server, targetPort);
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve(proxy));
    });
  }

  /** The port Kiq connects to. */
  get port(): number {
    const address = this.#server.address();
    return typeof address === 'object' && address ? address.port : 0;
  }

  /** `redis://127.0.0.1:<proxy port>`. */
  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get mode(): ProxyMode {
    return this.#mode;
  }

  /** Destroy every connection and refuse new ones until {@link heal}. */
  drop(): void {
    this.#mode = 'drop';
    for (const pair of this.#pairs) this.#close(pair);
  }

  /** Stop forwarding without closing anything, until {@link heal}. */
  stall(): void {
    this.#mode = 'stall';
    for (const pair of this.#pairs) {
      pair.client.pause();
      pair.upstream.pause();
    }
  }

  /** Forward again; deliver what a stall held. */
  heal(): void {
    this.#mode = 'open';
    for (const pair of this.#pairs) {
      for (const chunk of pair.held.toUpstream.splice(0)) pair.upstream.write(chunk);
      for (const chunk of pair.held.toClient.splice(0)) pair.client.write(chunk);
      pair.client.resume();
      pair.upstream.resume();
    }
  }

  /** Close every connection and the listener. */
  async close(): Promise<void> {
    for (const pair of this.#pairs) this.#close(pair);
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #accept(client: Socket): void {
    if (this.#mode === 'drop') {
      client.destroy();
      return;
    }
    const upstream = connect(this.#targetPort, '127.0.0.1');
    const pair: Pair = { client, upstream, held: { toUpstream: [], toClient: [] } };
    this.#pairs.add(pair);
    const forward = (from: Socket, to: Socket, held: Buffer[]) =>
      from.on('data', (chunk: Buffer) => {
        if (this.#mode === 'open') {
          to.write(chunk);
          return;
        }
        // a chunk already read when the stall began: keep it (a drop closes the pair anyway)
        held.push(chunk);
        from.pause();
      });
    forward(client, upstream, pair.held.toUpstream);
    forward(upstream, client, pair.held.toClient);
    const end = () => this.#close(pair);
    for (const socket of [client, upstream]) {
      socket.on('error', end);
      socket.on('close', end);
    }
    if (this.#mode === 'stall') {
      client.pause();
      upstream.pause();
    }
  }

  #close(pair: Pair): void {
    if (!this.#pairs.delete(pair)) return;
    pair.client.destroy();
    pair.upstream.destroy();
  }
}
