import { beforeAll, describe, expect, it } from 'vitest';
import { hmacSha256Hex } from '../../src/lib/crypto.js';
import { useTestApp } from '../helpers/app.js';
import { rawSocket } from '../helpers/ws.js';

// A version-2 connection_init signed "<timestamp>\nGET\n/graphql\n": nothing but the second tells two sockets
// of one key apart, so a merchant opening two in the same second (two of its processes, a reconnect after a
// deploy's 1001) had the second refused as a replay (4401, which graphql-ws clients take as fatal). An optional
// `nonce`, signed in the body's place, lets each socket carry a signature of its own; each is still accepted once.

const t = useTestApp();
let wsUrl = '';
beforeAll(async () => {
  wsUrl = `${(await t.app.listen(0, '127.0.0.1')).replace('http', 'ws')}/graphql`;
});

const init = (m: { apiKey: string; apiSecret: string }, ts: string, nonce?: string) => ({
  apiKey: m.apiKey,
  timestamp: ts,
  signatureVersion: 2,
  ...(nonce === undefined ? {} : { nonce }),
  signature: hmacSha256Hex(m.apiSecret, `${ts}\nGET\n/graphql\n${nonce ?? ''}`),
});

describe('version-2 connection_init with a nonce', () => {
  it('opens two sockets of one key in the same second, and still refuses each replayed', async () => {
    const m = await t.merchant('test', { signatureVersion: 2 });
    const ts = String(Math.floor(Date.now() / 1000));
    const [a, b] = [init(m, ts, 'n-1'), init(m, ts, 'n-2')];
    const first = await rawSocket(wsUrl, a);
    const second = await rawSocket(wsUrl, b);
    expect([first.acked, second.acked]).toEqual([true, true]);
    for (const s of [first, second]) s.close();
    for (const replay of [a, b]) {
      expect((await rawSocket(wsUrl, replay)).closed()).toEqual({ code: 4401, reason: 'invalid_signature' });
    }
  });

  it('is bound by the signature: a nonce changed on a captured init is refused', async () => {
    const m = await t.merchant('test', { signatureVersion: 2 });
    const captured = init(m, String(Math.floor(Date.now() / 1000)), 'n-1');
    const forged = await rawSocket(wsUrl, { ...captured, nonce: 'n-2' });
    expect(forged.closed()).toEqual({ code: 4401, reason: 'invalid_signature' });
    expect((await rawSocket(wsUrl, captured)).acked).toBe(true);
  });

  it('refuses a nonce that is not 1 to 64 letters, digits, "-" or "_"', async () => {
    const m = await t.merchant('test', { signatureVersion: 2 });
    const ts = String(Math.floor(Date.now() / 1000));
    for (const nonce of ['', 'x'.repeat(65), 'a\nb']) {
      expect((await rawSocket(wsUrl, init(m, ts, nonce))).closed()).toEqual({
        code: 4401,
        reason: 'invalid_signature',
      });
    }
  });
});
