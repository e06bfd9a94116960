/**
 * A TCP proxy (node:net) between Kiq and a real Redis, to fault the network
 * without touching either end. Every fault test uses it:
 *
 * - `drop()`: destroy every connection (both sides see a close) and refuse
 *   new ones, like a restarted firewall or a dead link that sends RST;
 * - `stall()`: stop forwarding in both directions without closing anything
 *   (a blackhole: no RST, no FIN, bytes just stop arriving); connections made
 *   meanwhile are accepted and held the same way;
 * - `heal()`: forward again (what a stall held is delivered, in order);
 * - `loseReplyWith(marker)`: Redis applied a command but its reply never
 *   reached the client (the connection drops right after Redis answered);
 * - `delayRepliesOf(marker, ms)`: the replies to one connection arrive late.
 *
 * Client → Redis bytes pass unchanged unless stalled or dropped.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

/** How much of what a client sent is kept to match {@link TcpProxy.delayRepliesOf}'s marker, bytes. */
const SAID_LIMIT = 4096;

/** One client connection and its upstream. */
interface Pair {
  readonly client: Socket;
  readonly upstream: Socket;
  /** Chunks read during a stall, per direction, delivered on heal. */
  readonly held: { toUpstream: Buffer[]; toClient: Buffer[] };
  /** The start of what the client sent (latin1), e.g. its CLIENT SETNAME. */
  said: string;
}

/** The proxy's state. */
export type ProxyMode = 'open' | 'stall' | 'drop';

/** A running proxy to `127.0.0.1:<targetPort>`. */
export class TcpProxy {
  readonly #server: Server;
  readonly #targetPort: number;
  readonly #pairs = new Set<Pair>();
  readonly #delays = new Map<string, number>();
  #lose: { marker: string; done: () => void } | undefined;
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

  /** `redis://127.0.0.1:<proxy port>` (append `/<db>`). */
  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** What the proxy does now. */
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
      for (const chunk of pair.held.toUpstream.splice(0)) this.#request(pair, chunk);
      for (const chunk of pair.held.toClient.splice(0)) this.#reply(pair, chunk);
      pair.client.resume();
      pair.upstream.resume();
    }
  }

  /**
   * Lose the next reply chunk that contains `marker`: it is dropped and that
   * connection is cut (both sides), as if the network failed right after
   * Redis answered. Resolves once it happened.
   */
  loseReplyWith(marker: string): Promise<void> {
    return new Promise((resolve) => (this.#lose = { marker, done: resolve }));
  }

  /** Delay every reply to connections whose commands mentioned `marker` (e.g. a CLIENT SETNAME) by `ms`; 0 ends it. */
  delayRepliesOf(marker: string, ms: number): void {
    if (ms > 0) this.#delays.set(marker, ms);
    else this.#delays.delete(marker);
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
    const pair: Pair = { client, upstream, held: { toUpstream: [], toClient: [] }, said: '' };
    this.#pairs.add(pair);
    const forward = (from: Socket, held: Buffer[], deliver: (chunk: Buffer) => void) =>
      from.on('data', (chunk: Buffer) => {
        if (this.#mode === 'open') {
          deliver(chunk);
          return;
        }
        // a chunk already read when the stall began: keep it (a drop closes the pair anyway)
        held.push(chunk);
        from.pause();
      });
    forward(client, pair.held.toUpstream, (chunk) => this.#request(pair, chunk));
    forward(upstream, pair.held.toClient, (chunk) => this.#reply(pair, chunk));
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

  /** A chunk from the client: passed on, its start kept for {@link delayRepliesOf}. */
  #request(pair: Pair, chunk: Buffer): void {
    if (pair.said.length < SAID_LIMIT) pair.said += chunk.toString('latin1');
    pair.upstream.write(chunk);
  }

  /** A reply chunk from Redis: lost (and the pair cut), delayed, or passed on. */
  #reply(pair: Pair, chunk: Buffer): void {
    const lose = this.#lose;
    if (lose && chunk.includes(lose.marker)) {
      this.#lose = undefined;
      this.#close(pair);
      lose.done();
      return;
    }
    let delay = 0;
    for (const [marker, ms] of this.#delays) if (pair.said.includes(marker)) delay = Math.max(delay, ms);
    if (delay === 0) pair.client.write(chunk);
    else setTimeout(() => pair.client.writable && pair.client.write(chunk), delay);
  }

  #close(pair: Pair): void {
    if (!this.#pairs.delete(pair)) return;
    pair.client.destroy();
    pair.upstream.destroy();
  }
}
