/**
 * A TCP proxy for fault tests (node:net): forwards to a target until told to
 * stall, then drops every byte in both directions and never closes a socket
 * (a blackhole: what a partition or a dead NAT entry looks like — no RST,
 * no FIN). New connections while stalled are accepted and never answered.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

/** A running proxy. */
export interface TcpProxy {
  /** `redis://127.0.0.1:<port>` (append `/<db>`). */
  readonly url: string;
  readonly port: number;
  /** Stop forwarding (sockets stay open). */
  stall(): void;
  /** Forward again (existing stalled pairs stay dead; new connections work). */
  resume(): void;
  /** Connections accepted so far. */
  readonly accepted: number;
  /** Close every socket and the listener. */
  close(): Promise<void>;
}

/** Start a proxy on a free loopback port to `targetPort`. */
export async function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  let stalled = false;
  let accepted = 0;
  const sockets = new Set<Socket>();
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
  };
  const server: Server = createServer((client) => {
    accepted++;
    track(client);
    if (stalled) return; // accepted, never answered
    const upstream = connect(targetPort, '127.0.0.1');
    track(upstream);
    let pairStalled = false;
    const check = () => {
      if (stalled) pairStalled = true;
      return !pairStalled;
    };
    client.on('data', (chunk) => check() && upstream.write(chunk));
    upstream.on('data', (chunk) => check() && client.write(chunk));
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    stall: () => {
      stalled = true;
    },
    resume: () => {
      stalled = false;
    },
    get accepted() {
      return accepted;
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
