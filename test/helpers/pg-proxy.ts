import net from 'node:net';

// A TCP proxy in front of PostgreSQL that can lose answers: armed, it forwards the next COMMIT a client sends
// (the simple-query message node-postgres writes for `client.query('commit')`) to the server, then cuts that
// client's connection before any answer comes back. The server still runs what it received (the batch's write
// and its COMMIT), so the client sees its connection end with the outcome unknown: what a failover, a proxy
// reset or a network cut does to a transaction at its commit.

/** The simple-query message of `commit`: 'Q', its length (4 + 7), the text and its NUL. */
const COMMIT_MESSAGE = Buffer.concat([Buffer.from('Q'), Buffer.from([0, 0, 0, 11]), Buffer.from('commit\0')]);

export interface PgProxy {
  /** postgres://… through the proxy, to `database`. */
  url(database: string): string;
  /** Cuts the connection of the next `count` COMMITs right after forwarding them. */
  cutAfterCommit(count?: number): void;
  /** COMMITs forwarded and cut so far. */
  readonly cuts: number;
  /** While on, new connections are closed at once (the server unreachable); open ones go on. */
  refuseNewConnections(on: boolean): void;
  /**
   * Freezes the connection of the next message that contains `text` (a statement's name, say): forwarded, then
   * nothing more goes either way on that connection, which stays open (a host gone silent mid-query).
   */
  freezeOn(text: string): void;
  /** Connections frozen so far. */
  readonly frozen: number;
  close(): Promise<void>;
}

export async function startPgProxy(target = { host: '127.0.0.1', port: 5432 }): Promise<PgProxy> {
  let armed = 0;
  let cuts = 0;
  let refusing = false;
  let freezeText: Buffer | null = null;
  let frozen = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    if (refusing) {
      client.destroy();
      return;
    }
    const upstream = net.connect(target.port, target.host);
    sockets.add(client).add(upstream);
    let silent = false;
    const drop = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', () => client.end());
    upstream.on('data', (chunk) => {
      if (!client.destroyed && !silent) client.write(chunk);
    });
    client.on('data', (chunk: Buffer) => {
      if (silent) return;
      if (freezeText && chunk.includes(freezeText)) {
        freezeText = null;
        frozen += 1;
        upstream.write(chunk);
        silent = true;
        return;
      }
      if (armed > 0 && chunk.includes(COMMIT_MESSAGE)) {
        armed -= 1;
        cuts += 1;
        // Everything up to the COMMIT reaches the server, which runs it; the client hears nothing more.
        upstream.end(chunk);
        client.destroy();
        return;
      }
      upstream.write(chunk);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: (database) => `postgres://root@127.0.0.1:${port}/${database}`,
    cutAfterCommit(count = 1) {
      armed += count;
    },
    get cuts() {
      return cuts;
    },
    refuseNewConnections(on) {
      refusing = on;
    },
    freezeOn(text) {
      freezeText = Buffer.from(text);
    },
    get frozen() {
      return frozen;
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
