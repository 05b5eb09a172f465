import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Pool } from 'pg';
import { expect } from 'vitest';
import { eventually } from './receiver.js';

// A chain node that is slow exactly where a test says, without timing: an HTTP proxy in front of a devnet that
// forwards every request, except that it holds the ones a test chose (by JSON-RPC method and params, or by TRON
// path and body) until the test releases them. While one is held, the test looks at what the app holds open in
// PostgreSQL.

export interface HeldRequest {
  path: string;
  body: string;
}

export interface Hold {
  /** Settles when a matching request has arrived (and is being held). */
  arrived: Promise<HeldRequest>;
  /** Forwards it (and lets later matching requests through). */
  release(): void;
}

export interface NodeGate {
  url: string;
  /** Holds the next request that `match` accepts. */
  hold(match: (r: HeldRequest) => boolean): Hold;
  /**
   * Answers the next request that `match` accepts with `status` itself, never forwarding it (a node that fails
   * one call); `answered` settles once that answer is written.
   */
  refuse(match: (r: HeldRequest) => boolean, status?: number): { answered: Promise<HeldRequest> };
  close(): Promise<void>;
}

interface Pending {
  match: (r: HeldRequest) => boolean;
  arrived: (r: HeldRequest) => void;
  released: Promise<void>;
  release: () => void;
  taken: boolean;
}

/** A JSON-RPC request (or batch) that calls `method`, and whose params pass `params` (when given). */
export function rpcCall(method: string, params: (p: unknown[]) => boolean = () => true) {
  return (r: HeldRequest): boolean => {
    let body: unknown;
    try {
      body = JSON.parse(r.body);
    } catch {
      return false;
    }
    const calls = (Array.isArray(body) ? body : [body]) as { method?: string; params?: unknown[] }[];
    return calls.some((c) => c.method === method && params(c.params ?? []));
  };
}

export async function startNodeGate(target: string): Promise<NodeGate> {
  const pending: Pending[] = [];
  const refusals: {
    match: (r: HeldRequest) => boolean;
    status: number;
    answered: (r: HeldRequest) => void;
  }[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const seen = { path: req.url ?? '/', body };
      const refusal = refusals.findIndex((x) => x.match(seen));
      if (refusal >= 0) {
        const [r] = refusals.splice(refusal, 1);
        res.writeHead(r!.status, { 'content-type': 'text/plain' });
        res.end(`refused by the test's node gate (${r!.status})`, () => r!.answered(seen));
        return;
      }
      const p = pending.find((x) => !x.taken && x.match(seen));
      if (p) {
        p.taken = true;
        p.arrived(seen);
        await p.released;
      }
      try {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(req.headers))
          if (typeof v === 'string' && !['host', 'content-length', 'connection'].includes(k)) headers[k] = v;
        const r = await fetch(`${target}${seen.path}`, {
          method: req.method,
          headers,
          ...(req.method === 'GET' || req.method === 'HEAD' ? {} : { body }),
        });
        const text = await r.text();
        res.writeHead(r.status, { 'content-type': r.headers.get('content-type') ?? 'application/json' });
        res.end(text);
      } catch (err) {
        res.writeHead(502).end(String(err));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    hold(match) {
      let arrived!: (r: HeldRequest) => void;
      let release!: () => void;
      const p: Pending = {
        match,
        arrived: (r) => arrived(r),
        released: new Promise<void>((res) => {
          release = res;
        }),
        release: () => release(),
        taken: false,
      };
      const arrivedP = new Promise<HeldRequest>((res) => {
        arrived = res;
      });
      pending.push(p);
      return {
        arrived: arrivedP,
        release: () => {
          p.taken = true;
          p.release();
        },
      };
    },
    refuse(match, status = 503) {
      let answered!: (r: HeldRequest) => void;
      const done = new Promise<HeldRequest>((res) => {
        answered = res;
      });
      refusals.push({ match, status, answered });
      return { answered: done };
    },
    async close() {
      for (const p of pending) p.release();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * Backends of this database waiting for their client inside a transaction that has written or locked rows: what
 * holds row locks, and the GraphQL `events` list's horizon (docs/graphql.md), for as long as it waits.
 */
export async function idleWriters(pool: Pool): Promise<Record<string, unknown>[]> {
  const r = await pool.query(
    `select pid, state, backend_xid::text as xid, query from pg_stat_activity
     where datname = current_database() and pid <> pg_backend_pid() and backend_xid is not null
       and state like 'idle in transaction%'`,
  );
  return r.rows;
}

/** Waits until no backend of the app waits inside a transaction that wrote (one may be ending right now). */
export async function untilNoIdleWriter(pool: Pool): Promise<void> {
  await eventually(async () => {
    expect(await idleWriters(pool)).toEqual([]);
    return true;
  });
}

/** Whether `select … for update nowait` gets its rows at once (in a transaction rolled back right after). */
export async function lockableNow(pool: Pool, sql: string, params: unknown[]): Promise<boolean> {
  const c = await pool.connect();
  try {
    await c.query('begin');
    try {
      await c.query(`${sql} for update nowait`, params);
      return true;
    } catch (err) {
      if ((err as { code?: string }).code === '55P03') return false; // lock_not_available
      throw err;
    } finally {
      await c.query('rollback');
    }
  } finally {
    c.release();
  }
}

/**
 * Runs `step` while `hold` is set, and `check` once the held request has arrived (the step is waiting on the
 * node); then releases it and returns what the step returned. Fails when the step ends without that request.
 */
export async function whileHeld<T>(
  hold: Hold,
  step: () => Promise<T>,
  check: () => Promise<void>,
): Promise<T> {
  const done = step();
  done.catch(() => undefined);
  try {
    await Promise.race([
      hold.arrived,
      done.then(() => {
        throw new Error('the step ended without making the held request');
      }),
    ]);
    await check();
  } finally {
    hold.release();
  }
  return done;
}
