import { beforeAll, describe, expect, it } from 'vitest';
import { type TestMerchant, useTestApp } from '../helpers/app.js';
import { rawSocket } from '../helpers/ws.js';

// Browser tokens spend a rate budget at every door, as API keys do (docs/api.md "Limits"): a stream or
// deposit token, handed to every viewer of a page, 50/s per token and client address (one viewer cannot
// refuse the others, and none spends the merchant's API key budget); a user session 50/s per user of one
// mode. Until now stream and deposit tokens spent nothing over HTTP or the WebSocket, and a test-mode
// session of a user spent the live-mode session's budget. The budgets are fixed 1 s windows, so a burst of
// 120 lets at most 100 through even when it straddles two windows.
const t = useTestApp({ trustProxy: 1 });
let wsUrl = '';
beforeAll(async () => {
  wsUrl = `${(await t.app.listen(0, '127.0.0.1')).replace('http', 'ws')}/graphql`;
});

const BURST = 120;
const TYPENAME = '{ __typename }';

function bearerGraphql(token: string, remoteAddress: string) {
  return t.request({
    url: '/graphql',
    body: { query: TYPENAME },
    headers: { authorization: `Bearer ${token}` },
    remoteAddress,
  });
}

async function streamToken(m: TestMerchant, streamId: string) {
  return (await t.app.services.tokens.issueStreamToken(m, streamId, 600)).token;
}

async function depositToken(m: TestMerchant, depositId: string) {
  return (await t.app.services.tokens.issueDepositToken(m, depositId, new Date(Date.now() + 600_000))).token;
}

describe('stream and deposit tokens over HTTP', () => {
  it.each([
    ['stream', streamToken],
    ['deposit', depositToken],
  ] as const)('a %s token spends 50 requests/s per client address on /graphql', async (_kind, mint) => {
    const m = await t.merchant();
    const token = await mint(m, `${_kind}_rl_http`);
    const results = await Promise.all(
      Array.from({ length: BURST }, () => bearerGraphql(token, '198.51.100.20')),
    );
    const limited = results.filter((r) => r.status === 429);
    expect(limited.length).toBeGreaterThanOrEqual(BURST - 100);
    expect(limited[0]!.body.errors[0].extensions.code).toBe('rate_limited');
    expect(limited[0]!.headers['ratelimit-limit']).toBe('50');
    expect(Number(limited[0]!.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    // Another viewer of the same page (another address) is not refused for it.
    const other = await bearerGraphql(token, '198.51.100.21');
    expect(other.body).toEqual({ data: { __typename: 'Query' } });
    expect(other.headers['ratelimit-remaining']).toBe('49');
    // Nor is the merchant's API key: a token never spends its budget.
    const own = await t.request({
      url: '/graphql',
      body: { query: TYPENAME },
      as: m,
      remoteAddress: '198.51.100.20',
    });
    expect(own.status).toBe(200);
  });

  it('an IPv6 client spends one budget for its /64, whichever of its addresses it sends from', async () => {
    // A /64 is what one IPv6 customer gets (often a /56): with a budget per address, a client cycling
    // through its own addresses had 2^64 budgets, and the limit held nothing back.
    const m = await t.merchant();
    const token = await streamToken(m, 'stream_rl_v6');
    const results = await Promise.all(
      Array.from({ length: BURST }, (_, i) => bearerGraphql(token, `2001:db8:7:7::${(i + 1).toString(16)}`)),
    );
    expect(results.filter((r) => r.status === 429).length).toBeGreaterThanOrEqual(BURST - 100);
    // Another /64 is another viewer; IPv4 addresses stay one budget each.
    expect((await bearerGraphql(token, '2001:db8:7:8::1')).status).toBe(200);
    const anonymous = await Promise.all(
      Array.from({ length: BURST }, (_, i) =>
        t.request({ url: '/graphql', body: { query: TYPENAME }, remoteAddress: `2001:db8:9:9::${i + 1}` }),
      ),
    );
    expect(anonymous.filter((r) => r.status === 429).length).toBeGreaterThanOrEqual(BURST - 100);
    // The WebSocket door counts the same /64.
    const sockets = await Promise.all(
      Array.from({ length: BURST }, (_, i) =>
        rawSocket(wsUrl, { token }, { 'x-forwarded-for': `2001:db8:7:9::${(i + 1).toString(16)}` }),
      ),
    );
    expect(sockets.filter((s) => s.closed()?.code === 4429).length).toBeGreaterThanOrEqual(BURST - 100);
    for (const s of sockets) s.close();
  });

  it('a fresh token for the same deposit spends the same budget', async () => {
    const m = await t.merchant();
    const first = await depositToken(m, 'dep_rl_same');
    const results = await Promise.all(
      Array.from({ length: BURST }, (_, i) =>
        i % 2 === 0
          ? bearerGraphql(first, '198.51.100.30')
          : depositToken(m, 'dep_rl_same').then((tk) => bearerGraphql(tk, '198.51.100.30')),
      ),
    );
    expect(results.filter((r) => r.status === 429).length).toBeGreaterThanOrEqual(BURST - 100);
  });
});

describe('stream and deposit tokens on the WebSocket', () => {
  it('connection_init spends the token budget of the client address: past it, 4429 rate_limited', async () => {
    const m = await t.merchant();
    const token = await depositToken(m, 'dep_rl_ws');
    const sockets = await Promise.all(
      Array.from({ length: BURST }, () =>
        rawSocket(wsUrl, { token }, { 'x-forwarded-for': '198.51.100.40' }),
      ),
    );
    const refused = sockets.filter((s) => s.closed()?.code === 4429);
    expect(refused.length).toBeGreaterThanOrEqual(BURST - 100);
    expect(refused[0]!.closed()?.reason).toBe('rate_limited');
    for (const s of sockets) s.close();
    const other = await rawSocket(wsUrl, { token }, { 'x-forwarded-for': '198.51.100.41' });
    expect(other.acked).toBe(true);
    other.close();
  });

  it('every operation spends it too, across the sockets of one address', async () => {
    const m = await t.merchant();
    const token = await streamToken(m, 'stream_rl_ws');
    const sockets = await Promise.all(
      [0, 1].map(() => rawSocket(wsUrl, { token }, { 'x-forwarded-for': '198.51.100.50' })),
    );
    expect(sockets.every((s) => s.acked)).toBe(true);
    const ids = Array.from({ length: 60 }, (_, i) => `q${i}`);
    for (const s of sockets) for (const id of ids) s.subscribe(id, TYPENAME);
    const results = (
      await Promise.all(sockets.map((s) => Promise.all(ids.map((id) => s.result(id)))))
    ).flat();
    const codes = results.flatMap((r) =>
      r.filter((x) => x.type === 'error').flatMap((x) => x.payload.map((e: any) => e.extensions?.code)),
    );
    // 2 connection_init + 120 operations: at most 100 pass.
    expect(codes.filter((c) => c === 'rate_limited').length).toBeGreaterThanOrEqual(BURST + 2 - 100);
    for (const s of sockets) s.close();
    const other = await rawSocket(wsUrl, { token }, { 'x-forwarded-for': '198.51.100.51' });
    other.subscribe('ok', TYPENAME);
    expect((await other.result('ok')).some((x) => x.type === 'next')).toBe(true);
    other.close();
  });
});

describe('user sessions', () => {
  it('of one user in test and live mode spend separate budgets', async () => {
    const m = await t.merchant('test');
    const tokens = t.app.services.tokens;
    const testSession = (await tokens.issueUserSession(m, 'alice', 600, ['read'])).token;
    const liveSession = (await tokens.issueUserSession({ ...m, mode: 'live' }, 'alice', 600, ['read'])).token;
    const results = await Promise.all(
      Array.from({ length: BURST }, () => bearerGraphql(testSession, '198.51.100.60')),
    );
    expect(results.filter((r) => r.status === 429).length).toBeGreaterThanOrEqual(BURST - 100);
    // The live session's budget is untouched: its first request is the first in its window.
    const live = await bearerGraphql(liveSession, '198.51.100.60');
    expect(live.status).toBe(200);
    expect(live.headers['ratelimit-remaining']).toBe('49');
  });
});
