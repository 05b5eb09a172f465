import { beforeAll, describe, expect, it } from 'vitest';
import { useTestApp } from '../helpers/app.js';
import { rawSocket } from '../helpers/ws.js';

// An admin token that leaked is revoked (`admin revoke`), but a portal session signed in with it was a token of
// its own: whoever held the leaked token and had signed in kept a full admin bearer for up to 12 hours after
// the revocation (adjustBalance credited Stars with it, reproduced on a real server), and could mint more
// sessions the operator cannot list. A session now names the tokens it was made from, and is refused, and its
// sockets closed, once any of them is revoked.

const t = useTestApp();
let wsUrl = '';
beforeAll(async () => {
  wsUrl = `${(await t.app.listen(0, '127.0.0.1')).replace('http', 'ws')}/graphql`;
});

async function signIn(token: string): Promise<string> {
  const login = await t.request({ url: '/portal/login', body: { token } });
  expect(login.status).toBe(200);
  const cookie = (login.headers['set-cookie'] as string[]).find((c) => c.startsWith('novapay_portal='))!;
  return decodeURIComponent(cookie.split(';')[0]!.split('=')[1]!);
}

const asBearer = (token: string) => t.graphql({ bearer: token }, '{ __typename }').then((r) => r.status);

describe('a portal session', () => {
  it('ends when the admin token it was signed in with is revoked, with the sessions made from it', async () => {
    const { token: leaked } = await t.app.services.tokens.issueAdmin(600, 'leaked');
    const session = await signIn(leaked);
    const grandchild = await signIn(session); // signed in again with the session itself
    const socket = await rawSocket(wsUrl, { token: session });
    expect(socket.acked).toBe(true);
    expect(await asBearer(session)).toBe(200);
    expect(await asBearer(grandchild)).toBe(200);

    await t.app.services.tokens.revoke(leaked, 'admin revoke');

    expect(await asBearer(leaked)).toBe(401);
    expect(await asBearer(session)).toBe(401);
    expect(await asBearer(grandchild)).toBe(401);
    expect((await t.request({ url: '/portal/login', body: { token: session } })).status).toBe(401);
    await socket.closing;
    expect(socket.closed()).toEqual({ code: 4401, reason: 'token_revoked' });
  });

  it('signing out of one session leaves the token it came from and its other sessions alone', async () => {
    const { token: cli } = await t.app.services.tokens.issueAdmin(600, 'ops');
    const first = await signIn(cli);
    const second = await signIn(cli);
    await t.app.services.tokens.revoke(first, 'portal sign-out');
    expect(await asBearer(first)).toBe(401);
    expect(await asBearer(second)).toBe(200);
    expect(await asBearer(cli)).toBe(200);
  });
});
