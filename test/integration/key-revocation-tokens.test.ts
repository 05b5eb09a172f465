import { beforeAll, describe, expect, it } from 'vitest';
import { type TestMerchant, useTestApp } from '../helpers/app.js';
import { eventually } from '../helpers/receiver.js';
import { appCli } from '../helpers/server-client.js';
import { rawSocket } from '../helpers/ws.js';

// Whoever holds a leaked API key can mint a 24 h user session for every user, and stream tokens, before the key
// is revoked: those tokens kept working after `keys revoke` (reproduced on a real server). A token now names the
// key that minted it and is refused, and its sockets closed (4401 token_revoked), once that key is revoked.
// `keys rotate` (and `keys revoke --keep-tokens`) retire the old key without that: rotation is routine and must
// not end every overlay's token. The CLI runs in this process but as its own core: the server hears of what it
// did through Redis, as a running server does.

const t = useTestApp();
let wsUrl = '';
beforeAll(async () => {
  wsUrl = `${(await t.app.listen(0, '127.0.0.1')).replace('http', 'ws')}/graphql`;
});

const USER_SESSION = `mutation($u: ID!) { createUserSession(userId: $u, ttlSeconds: 86400) { ... on BrowserToken { token } } }`;
const STREAM_TOKEN = `mutation($s: ID!) { createStreamToken(streamId: $s) { ... on BrowserToken { token } } }`;
const BALANCE = '{ user(userId: "thief") { balance } }';

async function mint(m: TestMerchant): Promise<{ session: string; stream: string }> {
  const s = await t.graphql(m, USER_SESSION, { u: 'thief' });
  const st = await t.graphql(m, STREAM_TOKEN, { s: 'stream_1' });
  return { session: s.body.data.createUserSession.token, stream: st.body.data.createStreamToken.token };
}

/** A second key of the same merchant. */
async function secondKey(m: TestMerchant): Promise<TestMerchant> {
  const k = await t.app.services.merchants.createKey(m.merchantId, m.mode, { rateLimitPerSecond: 100_000 });
  return { ...m, keyId: k.keyId, apiKey: k.apiKey, apiSecret: k.apiSecret };
}

/** The server heard of the key's revocation (Redis): requests with the key itself are refused. */
async function untilKeyRefused(m: TestMerchant): Promise<void> {
  await eventually(async () => (await t.graphql(m, '{ __typename }')).status === 401);
}

/** What PostgreSQL, the record, says of the key's tokens (reloaded now, not from this process's copy). */
async function keyTokensRevoked(keyId: string): Promise<boolean> {
  await t.app.services.tokens.refreshRevocations();
  return t.app.services.tokens.isRevoked(keyId);
}

const balanceStatus = (session: string) => t.graphql({ bearer: session }, BALANCE).then((r) => r.status);

describe('browser tokens minted with an API key', () => {
  it('are refused, and their sockets closed, once the key is revoked; another key’s are not', async () => {
    const leaked = await t.merchant();
    const other = await secondKey(leaked);
    const stolen = await mint(leaked);
    const kept = await mint(other);
    const socket = await rawSocket(wsUrl, { token: stolen.stream });
    const keptSocket = await rawSocket(wsUrl, { token: kept.stream });
    expect(socket.acked).toBe(true);
    expect(keptSocket.acked).toBe(true);
    expect(await balanceStatus(stolen.session)).toBe(200);

    const cli = appCli(t);
    expect(await cli('keys', 'revoke', leaked.keyId, '--json')).toMatchObject({
      keyId: leaked.keyId,
      tokensRevoked: true,
    });

    // Closed once the server heard of it (the revoked list is updated before the sockets close).
    await socket.closing;
    expect(socket.closed()).toEqual({ code: 4401, reason: 'token_revoked' });
    const refused = await t.graphql({ bearer: stolen.session }, BALANCE);
    expect(refused.status).toBe(401);
    expect(refused.body.errors[0].extensions.code).toBe('invalid_token');
    expect((await t.graphql({ bearer: stolen.stream }, '{ __typename }')).status).toBe(401);

    expect(await balanceStatus(kept.session)).toBe(200);
    expect(keptSocket.closed()).toBeNull();
    keptSocket.close();
    await keptSocket.closing;
  });

  it('keep working after the key is rotated, and end when the rotated key is then revoked', async () => {
    const m = await t.merchant();
    const tokens = await mint(m);
    const socket = await rawSocket(wsUrl, { token: tokens.session });
    expect(socket.acked).toBe(true);

    const cli = appCli(t);
    const next = await cli('keys', 'rotate', m.keyId, '--json');
    await untilKeyRefused(m); // the old key is revoked…

    expect(await balanceStatus(tokens.session)).toBe(200); // …its tokens are not
    expect((await t.graphql({ bearer: tokens.stream }, '{ __typename }')).status).toBe(200);
    expect(await keyTokensRevoked(m.keyId)).toBe(false);
    socket.subscribe('1', BALANCE);
    expect((await socket.result('1')).map((x) => x.type)).toEqual(['next', 'complete']);
    expect(socket.closed()).toBeNull();
    // The new key mints as usual.
    const rotated = { ...m, keyId: next.keyId, apiKey: next.apiKey, apiSecret: next.apiSecret };
    expect(await balanceStatus((await mint(rotated)).session)).toBe(200);

    // The rotated key leaked after all: revoking it ends what it minted.
    await cli('keys', 'revoke', m.keyId, '--json');
    await socket.closing;
    expect(socket.closed()).toEqual({ code: 4401, reason: 'token_revoked' });
    expect(await balanceStatus(tokens.session)).toBe(401);
  });

  it('keep working after `keys revoke --keep-tokens` (the last step of a rotation by hand)', async () => {
    const m = await t.merchant();
    const tokens = await mint(m);
    const cli = appCli(t);
    expect(await cli('keys', 'revoke', m.keyId, '--keep-tokens', '--json')).toMatchObject({
      tokensRevoked: false,
    });
    await untilKeyRefused(m);
    expect(await keyTokensRevoked(m.keyId)).toBe(false);
    expect(await balanceStatus(tokens.session)).toBe(200);
    expect((await t.graphql({ bearer: tokens.stream }, '{ __typename }')).status).toBe(200);
  });
});
