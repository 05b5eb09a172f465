import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { TrustedDocuments, WEB_MANIFEST } from '../../src/http/trusted-documents.js';
import { sign, type TestMerchant, useTestApp } from '../helpers/app.js';
import { eventually } from '../helpers/receiver.js';
import { appCli } from '../helpers/server-client.js';
import { wsClient } from '../helpers/ws.js';

// Trusted documents (issue 16, item 7): the yoga persisted-operations plugin over the web pages' manifest and
// any in GRAPHQL_TRUSTED_DOCUMENTS. Anyone may send a known document by id; a key set to trusted documents only
// (opt-in, per key), and the browser tokens it mints, may run nothing else, on HTTP and on the WebSocket.

const hex = (text: string) => createHash('sha256').update(text).digest('hex');
const web = JSON.parse(readFileSync(WEB_MANIFEST, 'utf8')) as Record<string, string>;
const idOf = (name: string) =>
  Object.keys(web).find((k) => new RegExp(`^(query|mutation|subscription) ${name}\\b`).test(web[k]!))!;

// A frontend team's own manifest, as codegen's client preset writes it (bare sha256 hex ids).
const EXTRA_QUERY = 'query TeamBalance($u: ID!) { user(userId: $u) { balance } }';
const MINT_STREAM =
  'mutation MintStream($s: ID!) { createStreamToken(streamId: $s) { ... on BrowserToken { token } } }';
const MINT_SESSION =
  'mutation MintSession($u: ID!) { createUserSession(userId: $u) { ... on BrowserToken { token } } }';
const extraDir = mkdtempSync(join(tmpdir(), 'novapay-trusted-'));
const extraPath = join(extraDir, 'persisted-documents.json');
writeFileSync(
  extraPath,
  JSON.stringify(Object.fromEntries([EXTRA_QUERY, MINT_STREAM, MINT_SESSION].map((q) => [hex(q), q]))),
);

// The worker role too: the overlay's subscription below receives a real donation through the outbox relay.
const t = useTestApp({ graphqlTrustedDocuments: [extraPath] }, { role: 'all' });
let wsUrl = '';
beforeAll(async () => {
  wsUrl = `${(await t.app.listen(0, '127.0.0.1')).replace('http', 'ws')}/graphql`;
});

async function post(as: TestMerchant | { bearer: string }, body: Record<string, unknown>) {
  const payload = JSON.stringify(body);
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if ('bearer' in as) headers.authorization = `Bearer ${as.bearer}`;
  else Object.assign(headers, { 'x-api-key': as.apiKey, 'x-signature': sign(as.apiSecret, payload) });
  const res = await t.app.server.inject({ method: 'POST', url: '/graphql', payload, headers });
  return { status: res.statusCode, body: res.json() };
}

const trustedKey = () => t.merchant('test', { trustedDocumentsOnly: true });

describe('trusted documents', () => {
  it("ships the web pages' manifest with ids that are the sha256 of each text", () => {
    expect(Object.keys(web).length).toBeGreaterThanOrEqual(12);
    for (const [id, text] of Object.entries(web)) expect(id).toBe(`sha256:${hex(text)}`);
  });

  it('runs a known document by id (documentId, or the APQ hash) for anyone, and refuses an unknown id', async () => {
    const m = await t.merchant();
    await t.credit(m, 'u1', '5');
    const byId = await post(m, { documentId: `sha256:${hex(EXTRA_QUERY)}`, variables: { u: 'u1' } });
    expect(byId.body).toEqual({ data: { user: { balance: '5.00' } } });
    const apq = await post(m, {
      variables: { u: 'u1' },
      extensions: { persistedQuery: { version: 1, sha256Hash: hex(EXTRA_QUERY) } },
    });
    expect(apq.body).toEqual({ data: { user: { balance: '5.00' } } });
    const web = await post(m, { documentId: idOf('PortalDeposits') });
    expect(web.body.data.deposits.totalCount).toBe(0);
    // A GET names it in the query string.
    const get = await t.request({
      url: `/graphql?documentId=${encodeURIComponent(idOf('PortalDeposits'))}`,
      as: m,
      headers: { accept: 'application/json' },
    });
    expect(get.body.data.deposits.totalCount).toBe(0);
    const unknown = await post(m, { documentId: `sha256:${'0'.repeat(64)}` });
    expect([unknown.status, unknown.body.errors[0].extensions.code]).toEqual([400, 'invalid_request']);
    // Without the setting, any operation still runs.
    expect((await post(m, { query: '{ viewer { mode } }' })).body.data.viewer.mode).toBe('TEST');
  });

  it('lets a key set to trusted documents only run known documents and nothing else; REST is unaffected', async () => {
    const k = await trustedKey();
    await t.credit(k, 'u2', '7');
    const arbitrary = await post(k, { query: '{ viewer { id } }' });
    expect(arbitrary.status).toBe(403);
    expect(arbitrary.body.errors[0].extensions.code).toBe('forbidden');
    expect(arbitrary.body.errors[0].message).toMatch(/trusted documents/);
    const known = await post(k, { documentId: `sha256:${hex(EXTRA_QUERY)}`, variables: { u: 'u2' } });
    expect(known.body.data.user.balance).toBe('7.00');
    // The exact text of a known document is as good as its id (graphql-ws sends text).
    expect((await post(k, { query: EXTRA_QUERY, variables: { u: 'u2' } })).body.data.user.balance).toBe(
      '7.00',
    );
    expect((await post(k, { query: `${EXTRA_QUERY} ` })).status).toBe(403);
    // A known id does not carry another text past the rule (the text is what would run).
    const smuggled = await post(k, { documentId: `sha256:${hex(EXTRA_QUERY)}`, query: '{ viewer { id } }' });
    expect(smuggled.status).toBe(403);
    expect((await t.request({ url: '/api/v1/balance/u2', as: k })).body.balance).toBe(7);
  });

  it('passes the rule to the browser tokens the key mints, on HTTP and on the WebSocket', async () => {
    const k = await trustedKey();
    // The key mints them with its own team's trusted documents.
    const mint = async (doc: string, variables: Record<string, string>) =>
      Object.values((await post(k, { documentId: hex(doc), variables })).body.data)[0] as { token: string };
    const stream = await mint(MINT_STREAM, { s: 's1' });
    const session = await mint(MINT_SESSION, { u: 'u3' });
    // Tokens of a key without the setting stay free.
    const free = await t.merchant();
    const freeSession = (await post(free, { documentId: hex(MINT_SESSION), variables: { u: 'u3' } })).body
      .data.createUserSession.token;
    expect((await post({ bearer: freeSession }, { query: '{ user(userId: "u3") { userId } }' })).status).toBe(
      200,
    );
    expect(
      (await post({ bearer: session.token }, { query: '{ user(userId: "u3") { balance } }' })).status,
    ).toBe(403);
    const c = wsClient(wsUrl, { token: stream.token });
    const refused = c.subscribe('subscription { donationReceived(streamId: "s1") { id } }');
    await eventually(() => refused.errors.length > 0, 5000);
    expect(JSON.stringify(refused.errors)).toContain('forbidden');
    // The overlay's own document, sent as the overlay sends it, is admitted and receives the donations.
    const overlay = c.subscribe<{ donationReceived: { amount: string } }>(web[idOf('Overlay')]!, {
      streamId: 's1',
    });
    await t.credit(k, 'fan', '10');
    await eventually(async () => {
      await t.app.services.ledger.transfer(
        { merchantId: k.merchantId, mode: 'test' },
        { fromUserId: 'fan', toUserId: 'streamer', amount: '0.01', metadata: { streamId: 's1' } },
      );
      return overlay.values.length > 0;
    }, 10_000);
    expect(overlay.errors).toEqual([]);
    expect(overlay.values[0]!.donationReceived.amount).toBe('0.01');
    await c.dispose();
  });

  it('is set per key with the CLI, and refuses a manifest that is not one at start-up', async () => {
    const cli = appCli(t);
    const m = await t.merchant();
    const created = await cli(
      'keys',
      'create',
      '--merchant',
      m.merchantId,
      '--mode',
      'test',
      '--trusted-documents-only',
      '--json',
    );
    const k = { ...m, apiKey: created.apiKey, apiSecret: created.apiSecret };
    expect((await post(k, { query: '{ viewer { id } }' })).status).toBe(403);
    const listed = await cli('keys', 'list', '--merchant', m.merchantId, '--json');
    expect(listed.keys.find((x: { keyId: string }) => x.keyId === created.keyId).trustedDocumentsOnly).toBe(
      true,
    );
    expect(
      await cli('keys', 'settings', created.keyId, '--trusted-documents-only', 'false', '--json'),
    ).toEqual({
      keyId: created.keyId,
      signatureVersion: 1,
      trustedDocumentsOnly: false,
    });
    t.app.services.merchants.evictAll();
    expect((await post(k, { query: '{ viewer { id } }' })).status).toBe(200);

    const bad = join(extraDir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ x: 'query {' }));
    expect(() => TrustedDocuments.load([bad])).toThrow(/Syntax Error/);
    expect(() => TrustedDocuments.load([join(extraDir, 'missing.json')])).toThrow(
      /cannot read .*missing\.json/,
    );
  });
});
