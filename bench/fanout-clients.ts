import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import type {
  CountsResult,
  Envelope,
  OpenRequest,
  OpenResult,
  Reply,
  ReportResult,
  Request,
} from './lib/subscribers.js';

// The load generator of `npm run bench -- fanout`, in its own process (started by bench/lib/subscribers.ts
// with an IPC channel): N raw graphql-ws clients (subprotocol graphql-transport-ws; connection_init →
// connection_ack → subscribe → next …), each subscribed once. graphql-ws' createClient would add retry
// and lazy-connection machinery per socket; a raw client is the smallest thing that speaks the protocol.
// It records, per message id, which sockets got it and the first and last receive time. Each subscription
// has its own id, a UUID, as createClient's default generateID gives every subscription (so a server that
// frames a message once per distinct id frames it once per socket, as for real viewers);
// FANOUT_SUBSCRIPTION_IDS=same gives every socket the id "1" instead.

const subscriptionId = process.env.FANOUT_SUBSCRIPTION_IDS === 'same' ? () => '1' : () => randomUUID();

const now = () => performance.timeOrigin + performance.now();

interface Seen {
  sockets: Uint8Array;
  count: number;
  duplicates: number;
  first: number;
  last: number;
  /** The last receipt by a socket that is not a slow reader. */
  lastCounted?: number;
}

let sockets: WebSocket[] = [];
let n = 0;
/** Sockets that read slowly (the slow phase): left out of counts and latencies, reported on their own. */
let slow = new Uint8Array(0);
const slowTimers: NodeJS.Timeout[] = [];
const byId = new Map<string, Seen>();
const other: Record<string, number> = {};
const closes: Record<string, number> = {};
const slowCloses: Record<string, number> = {};
const samples: string[] = [];

const bump = (m: Record<string, number>, key: string) => {
  m[key] = (m[key] ?? 0) + 1;
};
const sample = (s: string) => {
  if (samples.length < 10) samples.push(s.slice(0, 300));
};

function received(id: string, socket: number, t: number): void {
  let s = byId.get(id);
  if (!s) {
    s = { sockets: new Uint8Array(n), count: 0, duplicates: 0, first: t, last: t };
    byId.set(id, s);
  }
  if (s.sockets[socket]) {
    s.duplicates++;
    return;
  }
  s.sockets[socket] = 1;
  s.count++;
  if (t < s.first) s.first = t;
  if (t > s.last) s.last = t;
  if (slow[socket] === 0 && t > (s.lastCounted ?? 0)) s.lastCounted = t;
}

/** Opens one socket; resolves with null once it is subscribed, or with why it failed. */
function openOne(i: number, r: OpenRequest, timeoutMs: number): Promise<string | null> {
  return new Promise((resolve) => {
    let settled = false;
    const settle = (why: string | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(why);
    };
    const url = r.urls[i % r.urls.length]!;
    const ws = new WebSocket(url, 'graphql-transport-ws', {
      perMessageDeflate: false,
      handshakeTimeout: timeoutMs,
    });
    sockets[i] = ws;
    const timer = setTimeout(() => {
      settle('timeout before connection_ack');
      ws.terminate();
    }, timeoutMs);
    ws.on('open', () => ws.send(JSON.stringify({ type: 'connection_init', payload: r.connectionParams })));
    ws.on('message', (data) => {
      const t = now();
      let msg: any;
      try {
        msg = JSON.parse(String(data));
      } catch {
        bump(other, 'unparsable message');
        return;
      }
      switch (msg.type) {
        case 'next': {
          const id = msg.payload?.data?.donationReceived?.id;
          if (typeof id === 'string' && !msg.payload.errors) received(id, i, t);
          else {
            bump(other, 'next with errors or without data');
            sample(`socket ${i}: ${String(data)}`);
          }
          return;
        }
        case 'connection_ack':
          ws.send(JSON.stringify({ id: subscriptionId(), type: 'subscribe', payload: { query: r.query } }));
          settle(null);
          return;
        case 'ping':
          ws.send('{"type":"pong"}');
          return;
        case 'pong':
          return;
        default:
          bump(other, `message type ${msg.type}`);
          sample(`socket ${i}: ${String(data)}`);
      }
    });
    ws.on('error', (err: Error & { code?: string }) => {
      const why = `error ${err.code ?? err.message}`;
      if (settled) bump(closes, why);
      settle(why);
    });
    ws.on('close', (code, reason) => {
      const why = `close ${code}${reason.length ? ` ${String(reason)}` : ''}`;
      if (settled) bump(slow[i] ? slowCloses : closes, why);
      settle(why);
    });
  });
}

async function open(r: OpenRequest): Promise<OpenResult> {
  const started = performance.now();
  const deadline = started + r.timeoutMs;
  n = r.n;
  sockets = new Array(n);
  slow = new Uint8Array(n);
  const failures: Record<string, number> = {};
  let subscribed = 0;
  let next = 0;
  const worker = async () => {
    while (next < n) {
      const i = next++;
      const left = deadline - performance.now();
      if (left <= 0) {
        bump(failures, 'not attempted: open deadline passed');
        continue;
      }
      const why = await openOne(i, r, Math.min(30_000, left));
      if (why === null) subscribed++;
      else bump(failures, why);
    }
  };
  await Promise.all(Array.from({ length: Math.min(r.concurrency, n) }, worker));
  return {
    subscribed,
    failed: n - subscribed,
    seconds: (performance.now() - started) / 1000,
    failures,
  };
}

/** Socket i counts unless it is one of the slow readers. */
const counted = (i: number) => slow[i] === 0;

function counts(ids: string[]): CountsResult {
  const union = new Uint8Array(n);
  const out: number[] = [];
  for (const id of ids) {
    const s = byId.get(id);
    let c = 0;
    if (s) {
      for (let i = 0; i < n; i++) {
        if (!s.sockets[i] || !counted(i)) continue;
        c++;
        union[i] = 1;
      }
    }
    out.push(c);
  }
  return { counts: out, covered: union.reduce((a, b) => a + b, 0) };
}

function report(ids: string[]): ReportResult {
  const perSocket = new Uint32Array(n);
  const slowGot = new Map<number, number>();
  const stats = ids.map((id) => {
    const s = byId.get(id);
    if (!s) return { id, count: 0, duplicates: 0, first: Number.NaN, last: Number.NaN };
    let count = 0;
    for (let i = 0; i < n; i++) {
      if (!s.sockets[i]) continue;
      if (counted(i)) {
        perSocket[i]! += 1;
        count++;
      } else slowGot.set(i, (slowGot.get(i) ?? 0) + 1);
    }
    // first/last stay over every socket that got it; the slow ones get theirs late by design, so the
    // parent reads latency from the counted sockets' last only when no socket is slow.
    return { id, count, duplicates: s.duplicates, first: s.first, last: s.lastCounted ?? s.last };
  });
  const histogram = new Map<number, number>();
  for (let i = 0; i < n; i++)
    if (counted(i)) histogram.set(perSocket[i]!, (histogram.get(perSocket[i]!) ?? 0) + 1);
  const slowIdx = [...slow.keys()].filter((i) => slow[i]);
  return {
    ids: stats,
    perSocket: [...histogram.entries()].sort((a, b) => a[0] - b[0]),
    other,
    samples,
    closes,
    open: sockets.filter((ws, i) => counted(i) && ws?.readyState === WebSocket.OPEN).length,
    slow: {
      sockets: slowIdx.length,
      open: slowIdx.filter((i) => sockets[i]?.readyState === WebSocket.OPEN).length,
      received: slowIdx.reduce((a, i) => a + (slowGot.get(i) ?? 0), 0),
      closes: slowCloses,
    },
  };
}

/**
 * Makes one socket in `every` a slow reader: it reads for `readMs` out of every `periodMs` (a thin link),
 * pausing its TCP socket the rest of the time.
 */
function makeSlow(every: number, readMs: number, periodMs: number): number {
  let made = 0;
  for (let i = 0; i < n; i += every) {
    const ws = sockets[i];
    if (!ws || ws.readyState !== WebSocket.OPEN) continue;
    slow[i] = 1;
    made++;
    const raw = (ws as unknown as { _socket: { pause(): void; resume(): void } })._socket;
    raw.pause();
    slowTimers.push(
      setInterval(() => {
        raw.resume();
        setTimeout(() => raw.pause(), readMs);
      }, periodMs),
    );
  }
  return made;
}

async function closeAll(timeoutMs: number): Promise<{ closed: number; terminated: number }> {
  const live = sockets.filter((ws) => ws && ws.readyState !== WebSocket.CLOSED);
  const done = live.map((ws) => new Promise<void>((resolve) => ws.once('close', () => resolve())));
  for (const ws of live) ws.close(1000, 'bench done');
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, timeoutMs);
  });
  await Promise.race([Promise.all(done), timedOut]);
  clearTimeout(timer);
  let terminated = 0;
  for (const ws of live) {
    if (ws.readyState !== WebSocket.CLOSED) {
      ws.terminate();
      terminated++;
    }
  }
  return { closed: live.length - terminated, terminated };
}

async function handle(r: Request): Promise<unknown> {
  switch (r.cmd) {
    case 'open':
      return open(r);
    case 'counts':
      return counts(r.ids);
    case 'report':
      return report(r.ids);
    case 'close':
      for (const t of slowTimers.splice(0)) clearInterval(t);
      return closeAll(r.timeoutMs);
    case 'slow':
      return { slow: makeSlow(r.every, r.readMs, r.periodMs) };
  }
}

process.on('message', (m: Envelope) => {
  handle(m.request).then(
    (result) => process.send!({ seq: m.seq, ok: true, result } satisfies Reply),
    (err: Error) => process.send!({ seq: m.seq, ok: false, error: err.stack ?? String(err) } satisfies Reply),
  );
});
process.on('disconnect', () => {
  for (const ws of sockets) ws?.terminate();
  process.exit(0);
});
