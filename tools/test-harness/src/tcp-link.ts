import { createConnection, createServer, type Socket } from 'node:net';

/**
 * A TCP relay on loopback between a client and a server, which can stop passing the server's bytes
 * on: what a replication link looks like when the network between a master and its replica stalls.
 */
export interface TcpLink {
  /** The loopback port clients connect to. */
  readonly port: number;
  /** From now on, bytes from the server are dropped (the client's still reach the server). */
  hold(): void;
  /** Closes the relay and every connection through it. */
  close(): Promise<void>;
}

/** Starts a relay to `127.0.0.1:targetPort` on a free loopback port. */
export async function startTcpLink(targetPort: number): Promise<TcpLink> {
  let held = false;
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = createConnection({ port: targetPort, host: '127.0.0.1' });
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      // A reset on either side ends both; the client reconnects as it would through a network.
      socket.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.on('data', (chunk) => upstream.write(chunk));
    upstream.on('data', (chunk) => {
      if (!held) client.write(chunk);
    });
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  return {
    port: typeof address === 'object' && address !== null ? address.port : 0,
    hold: () => {
      held = true;
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
