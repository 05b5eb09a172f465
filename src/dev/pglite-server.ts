import { createServer, type Server, type Socket } from 'node:net';
import type { PGlite } from '@electric-sql/pglite';

// A PostgreSQL wire-protocol front for one PGlite instance, so node-postgres, MikroORM and psql can use
// it as a server. PGlite has one backend: every connection shares its session, and a statement runs only
// when no other is running.
//
// Why not pglite-socket's own server: it forwards protocol messages one at a time, so another connection's
// message can land between a Parse and its Sync; PostgreSQL then runs it inside the wrong implicit
// transaction or skips it while ignoring messages until a Sync, and a client waits forever (reproduced with
// a pool running transactions next to plain queries). Here a unit is everything up to a Sync or a simple
// Query, run as one call, and while a connection has a transaction block open only its units run.

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const CANCEL_REQUEST = 80877102;
const PROTOCOL_3 = 196608;
/** A simple Query message: 'Q', int32 length, "rollback\0". */
const ROLLBACK = (() => {
  const text = Buffer.from('rollback\0');
  const b = Buffer.alloc(5 + text.length);
  b.write('Q', 0);
  b.writeInt32BE(4 + text.length, 1);
  text.copy(b, 5);
  return b;
})();

interface Unit {
  conn: Connection;
  bytes: Buffer;
  /** Runs even though its connection has closed (the rollback of an abandoned transaction). */
  cleanup?: boolean;
}

interface Connection {
  socket: Socket;
  started: boolean;
  buffer: Buffer;
  /** Messages received since the last unit boundary (Sync or Query). */
  pending: Buffer[];
  closed: boolean;
  /** The SQL of its last unit, for the stall report. */
  lastSql: string;
}

export interface PgliteServerOptions {
  host?: string;
  port?: number;
  /**
   * Called when one connection's open transaction has kept the others waiting this long: with one backend,
   * code that holds a transaction on one connection while it waits for a query on another never finishes.
   */
  stallMs?: number;
  onStall?: (info: { waitingMs: number; queued: number; ownerSql: string }) => void;
}

/** The statement text of a Query or Parse message (the first one in a unit), for diagnostics. */
function sqlOf(unit: Buffer): string {
  const type = String.fromCharCode(unit[0] ?? 0);
  if (type === 'Q') return unit.subarray(5, unit.indexOf(0, 5)).toString('utf8');
  if (type === 'P') {
    const nameEnd = unit.indexOf(0, 5);
    return unit.subarray(nameEnd + 1, unit.indexOf(0, nameEnd + 1)).toString('utf8');
  }
  return `(${type})`;
}

export interface PgliteServer {
  port: number;
  url: string;
  /** Connections currently open (for logs and tests). */
  connections(): number;
  stop(): Promise<void>;
}

export async function startPgliteServer(db: PGlite, opts: PgliteServerOptions = {}): Promise<PgliteServer> {
  const { host = '127.0.0.1', port = 0, stallMs = 10_000 } = opts;
  const queue: Unit[] = [];
  const conns = new Set<Connection>();
  /** The connection whose transaction block is open: only its units run until it ends. */
  let owner: Connection | null = null;
  let running = false;
  /** The connection whose unit is running. */
  let current: Connection | null = null;
  let stopping = false;

  const inTransaction = () => db.isInTransaction();

  async function pump(): Promise<void> {
    if (running) return;
    running = true;
    try {
      for (;;) {
        if (owner && !inTransaction()) owner = null;
        const i = owner ? queue.findIndex((u) => u.conn === owner) : 0;
        if (i < 0 || queue.length === 0) break;
        const unit = queue.splice(i, 1)[0]!;
        if (unit.cleanup ? owner !== unit.conn : unit.conn.closed) continue;
        current = unit.conn;
        unit.conn.lastSql = sqlOf(unit.bytes);
        try {
          await db.runExclusive(() =>
            db.execProtocolRawStream(new Uint8Array(unit.bytes), {
              onRawData: (data) => {
                if (!unit.conn.closed && unit.conn.socket.writable) unit.conn.socket.write(Buffer.from(data));
              },
            }),
          );
        } catch {
          // PGlite itself failed (not an SQL error, which is an answer): the client cannot continue.
          unit.conn.socket.destroy();
        }
        owner = inTransaction() ? unit.conn : null;
      }
    } finally {
      current = null;
      running = false;
    }
  }

  function kick(): void {
    pump().catch(() => undefined);
  }

  /**
   * A connection that goes away inside its transaction block must not leave the backend in it: its queued
   * units are dropped and a rollback runs in their place (after the unit of it that may be running).
   */
  function release(conn: Connection): void {
    if (conn.closed) return;
    conn.closed = true;
    conns.delete(conn);
    for (let i = queue.length - 1; i >= 0; i--) if (queue[i]!.conn === conn) queue.splice(i, 1);
    if (owner === conn || current === conn) queue.unshift({ conn, bytes: ROLLBACK, cleanup: true });
    kick();
  }

  function onData(conn: Connection, chunk: Buffer): void {
    conn.buffer = conn.buffer.length ? Buffer.concat([conn.buffer, chunk]) : chunk;
    for (;;) {
      const b = conn.buffer;
      if (!conn.started) {
        // Untyped start-up packets: int32 length, int32 code.
        if (b.length < 8) return;
        const len = b.readInt32BE(0);
        if (b.length < len) return;
        const code = b.readInt32BE(4);
        conn.buffer = b.subarray(len);
        if (code === SSL_REQUEST || code === GSSENC_REQUEST) {
          conn.socket.write('N');
          continue;
        }
        if (code === CANCEL_REQUEST) continue; // one backend: nothing to cancel
        if (code !== PROTOCOL_3) {
          conn.socket.destroy();
          return;
        }
        conn.started = true;
        queue.push({ conn, bytes: Buffer.from(b.subarray(0, len)) });
        kick();
        continue;
      }
      if (b.length < 5) return;
      const len = 1 + b.readInt32BE(1);
      if (b.length < len) return;
      const type = String.fromCharCode(b[0]!);
      const message = Buffer.from(b.subarray(0, len));
      conn.buffer = b.subarray(len);
      if (type === 'X') {
        conn.socket.end();
        release(conn);
        return;
      }
      conn.pending.push(message);
      if (type === 'S' || type === 'Q') {
        queue.push({ conn, bytes: Buffer.concat(conn.pending) });
        conn.pending = [];
        kick();
      }
    }
  }

  const server: Server = createServer((socket) => {
    if (stopping) {
      socket.destroy();
      return;
    }
    socket.setNoDelay(true);
    const conn: Connection = {
      socket,
      started: false,
      buffer: Buffer.alloc(0),
      pending: [],
      closed: false,
      lastSql: '',
    };
    conns.add(conn);
    socket.on('data', (chunk) => onData(conn, chunk));
    socket.on('error', () => release(conn));
    socket.on('close', () => release(conn));
  });
  // The stall watchdog: others have waited behind one connection's transaction for stallMs.
  let blockedSince: number | null = null;
  const watchdog = setInterval(() => {
    const blocked = owner !== null && !running && queue.some((u) => u.conn !== owner);
    if (!blocked) {
      blockedSince = null;
      return;
    }
    blockedSince ??= Date.now();
    if (Date.now() - blockedSince >= stallMs) {
      opts.onStall?.({
        waitingMs: Date.now() - blockedSince,
        queued: queue.length,
        ownerSql: owner!.lastSql,
      });
      blockedSince = Date.now();
    }
  }, 1000);
  watchdog.unref();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address();
  const bound = typeof address === 'object' && address ? address.port : port;
  return {
    port: bound,
    url: `postgres://postgres@${host}:${bound}/postgres`,
    connections: () => conns.size,
    async stop() {
      stopping = true;
      clearInterval(watchdog);
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const c of [...conns]) {
        c.socket.destroy();
        release(c);
      }
      await closed;
      // Let the units still queued (rollbacks) and the one running finish before the caller closes the database.
      while (running || queue.length > 0) await new Promise((r) => setTimeout(r, 10));
    },
  };
}
