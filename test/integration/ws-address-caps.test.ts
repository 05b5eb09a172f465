import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { loadConfig } from '../../src/config.js';
import { type TestMerchant, useTestApp } from '../helpers/app.js';
import { eventually } from '../helpers/receiver.js';
import { keyInit, rawSocket } from '../helpers/ws.js';

// One client address may hold at most WS_MAX_PENDING_PER_ADDRESS sockets not yet acknowledged and
// WS_MAX_SOCKETS_PER_ADDRESS in all (src/http/ws-address-cap.ts); past either, the upgrade is answered with
// HTTP 429 rate_limited and Retry-After, and no WebSocket is made. Small caps here (3 waiting, 5 in all), behind
// one proxy (TRUST_PROXY=1) so each socket comes from the address its X-Forwarded-For names.

const env = (vars: Record<string, string>) =>
  loadConfig({ DATA_DIR: mkdtempSync(join(tmpdir(), 'novapay-wscap-')), ...vars });
const PENDING = 3;
const OPEN = 5;
const t = useTestApp({ trustProxy: 1, wsMaxPendingPerAddress: PENDING, wsMaxSocketsPerAddress: OPEN });
let url = '';
let m: TestMerchant;
beforeAll(async () => {
  url = `${(await t.app.listen(0, '127.0.0.1')).replace('http', 'ws')}/graphql`;
  m = await t.merchant();
});

type Refused = { status: number; retryAfter: string | undefined; body: any };

/** Opens a socket from `address` without sending connection_init: the socket, or the server's refusal. */
function attempt(address: string): Promise<WebSocket | Refused> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, 'graphql-transport-ws', { headers: { 'x-forwarded-for': address } });
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => {
      let text = '';
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () => {
        ws.on('error', () => undefined);
        ws.terminate();
        resolve({ status: res.statusCode!, retryAfter: res.headers['retry-after'], body: JSON.parse(text) });
      });
    });
    ws.once('error', reject);
  });
}

async function opened(address: string): Promise<WebSocket> {
  const r = await attempt(address);
  if (!(r instanceof WebSocket)) throw new Error(`refused: ${JSON.stringify(r)}`);
  return r;
}

function closeAll(list: WebSocket[]): Promise<unknown> {
  return Promise.all(
    list.map((ws) =>
      ws.readyState === WebSocket.CLOSED ? null : new Promise((resolve) => ws.once('close', resolve).close()),
    ),
  );
}

const caps = () => t.app.sockets!.addressCaps();
const drained = () => eventually(() => caps().open === 0 && caps().pending === 0 && caps().addresses === 0);

function expectRefused(r: WebSocket | Refused, retryAfter: string, message: RegExp) {
  expect(r).not.toBeInstanceOf(WebSocket);
  const refused = r as Refused;
  expect(refused.status).toBe(429);
  expect(refused.retryAfter).toBe(retryAfter);
  expect(refused.body.errors[0].extensions.code).toBe('rate_limited');
  expect(refused.body.errors[0].extensions.requestId).toMatch(/^req_/);
  expect(refused.body.errors[0].message).toMatch(message);
}

describe('WebSockets per client address', () => {
  it('are configured by WS_MAX_PENDING_PER_ADDRESS and WS_MAX_SOCKETS_PER_ADDRESS (32 and 1000)', () => {
    const defaults = env({});
    expect([defaults.wsMaxPendingPerAddress, defaults.wsMaxSocketsPerAddress]).toEqual([32, 1000]);
    const set = env({ WS_MAX_PENDING_PER_ADDRESS: '4', WS_MAX_SOCKETS_PER_ADDRESS: '9' });
    expect([set.wsMaxPendingPerAddress, set.wsMaxSocketsPerAddress]).toEqual([4, 9]);
  });

  it('waiting for connection_init: one past the cap is refused with 429, another address still connects', async () => {
    const before = caps().refused.pending;
    const waiting = await Promise.all(Array.from({ length: PENDING }, () => opened('198.51.100.1')));
    expectRefused(await attempt('198.51.100.1'), '3', /waiting for connection_init/);
    expect(caps().refused.pending).toBe(before + 1);
    const other = await opened('198.51.100.2');
    // Once one waiting socket has closed, its place is free again.
    await closeAll(waiting.slice(0, 1));
    await eventually(() => caps().pending === PENDING);
    const again = await opened('198.51.100.1');
    await closeAll([...waiting, other, again]);
    await drained();
  });

  it('counts an IPv6 /64 as one address', async () => {
    const waiting = await Promise.all(
      Array.from({ length: PENDING }, (_, i) => opened(`2001:db8:1:2::${i + 1}`)),
    );
    expectRefused(await attempt('2001:db8:1:2:ffff::9'), '3', /waiting for connection_init/);
    const nextNetwork = await opened('2001:db8:1:3::1');
    await closeAll([...waiting, nextNetwork]);
    await drained();
  });

  it('acknowledged sockets leave the waiting count; the total cap refuses the next, until one closes', async () => {
    const before = caps().refused.open;
    const headers = { 'x-forwarded-for': '198.51.100.3' };
    // One after the other: at most one of them waits for its connection_ack at a time.
    const acked: Awaited<ReturnType<typeof rawSocket>>[] = [];
    for (let i = 0; i < OPEN; i++) acked.push(await rawSocket(url, keyInit(m), headers));
    expect(acked.every((s) => s.acked)).toBe(true);
    expect(caps().pending).toBe(0);
    expectRefused(await attempt('198.51.100.3'), '30', /open from this address/);
    expect(caps().refused.open).toBe(before + 1);
    const other = await opened('198.51.100.4');
    acked[0]!.close();
    await acked[0]!.closing;
    await eventually(() => caps().open === OPEN);
    const again = await opened('198.51.100.3');
    for (const s of acked.slice(1)) s.close();
    await Promise.all(acked.map((s) => s.closing));
    await closeAll([other, again]);
    await drained();
  });

  it('give every place back, whatever closes the sockets (mixtures)', async () => {
    // 198.51.100.9, then two addresses of one /64, then another /64.
    const addresses = ['198.51.100.9', '2001:db8:9::1', '2001:db8:9::2', '2001:db8:a::1'];
    const budgetOf = (i: number) => (i === 2 ? 1 : i);
    const step = fc.oneof(
      fc.record({ kind: fc.constant('open' as const), address: fc.integer({ min: 0, max: 3 }) }),
      fc.record({
        kind: fc.constantFrom('init' as const, 'badInit' as const, 'close' as const, 'terminate' as const),
        pick: fc.nat(),
      }),
      fc.record({ kind: fc.constant('garbage' as const), pick: fc.nat() }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 30 }), async (steps) => {
        type Held = { ws: WebSocket; budget: number; pending: boolean; closed: Promise<unknown> };
        const held: Held[] = [];
        const live = () => held.filter((h) => h.ws.readyState === WebSocket.OPEN);
        const expectCounts = () =>
          eventually(() => {
            const now = caps();
            return (
              now.open === held.filter((h) => h.ws.readyState !== WebSocket.CLOSED).length &&
              now.pending === held.filter((h) => h.pending && h.ws.readyState !== WebSocket.CLOSED).length
            );
          }, 5000);
        for (const s of steps) {
          if (s.kind === 'open') {
            const budget = budgetOf(s.address);
            const mine = held.filter((h) => h.budget === budget && h.ws.readyState !== WebSocket.CLOSED);
            const full = mine.length >= OPEN || mine.filter((h) => h.pending).length >= PENDING;
            const r = await attempt(addresses[s.address]!);
            expect(r instanceof WebSocket).toBe(!full);
            if (r instanceof WebSocket) {
              const closed = new Promise((resolve) => r.once('close', resolve));
              r.on('error', () => undefined);
              held.push({ ws: r, budget, pending: true, closed });
            }
          } else {
            const open = live();
            const h = open[s.pick % Math.max(open.length, 1)];
            if (!h) continue;
            if (s.kind === 'init' && h.pending) {
              const ack = new Promise<void>((resolve) =>
                h.ws.on('message', (d) => String(d).includes('connection_ack') && resolve()),
              );
              h.ws.send(JSON.stringify({ type: 'connection_init', payload: keyInit(m) }));
              await Promise.race([ack, h.closed]);
              h.pending = false;
            } else if (s.kind === 'badInit' && h.pending) {
              // Refused (4401 invalid_token): the server closes it.
              h.ws.send(JSON.stringify({ type: 'connection_init', payload: { token: 'nope' } }));
              await h.closed;
            } else if (s.kind === 'close') {
              h.ws.close();
              await h.closed;
            } else if (s.kind === 'terminate') {
              h.ws.terminate();
              await h.closed;
            } else if (s.kind === 'garbage') {
              // Not a WebSocket frame (reserved bits set): the server's socket errors and is terminated.
              (h.ws as unknown as { _socket: { write(b: Buffer): void } })._socket.write(
                Buffer.from([0xff, 0xff, 0xff, 0xff]),
              );
              await h.closed;
            }
          }
          await expectCounts();
        }
        await closeAll(held.map((h) => h.ws));
        await drained();
      }),
      { numRuns: 25 },
    );
  });
});
