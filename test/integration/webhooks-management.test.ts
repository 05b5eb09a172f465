import fc from 'fast-check';
import ipaddr from 'ipaddr.js';
import { afterAll, describe, expect, it } from 'vitest';
import { type TestMerchant, useTestApp } from '../helpers/app.js';
import { fuzzParams, hostileString } from '../helpers/fuzz.js';
import { overSocket, wsUrlOf } from '../helpers/mixtures.js';
import { keyInit, rawSocket } from '../helpers/ws.js';

// Webhook endpoints managed with bad input through GraphQL over HTTP and the WebSocket, in production: every
// request is answered (a typed error or a 4xx, never a 5xx or internal_error), a refused one changes nothing,
// and whatever is stored points at a public address whatever spelling of an internal one was tried. A merchant
// has at most WEBHOOK_MAX_ENDPOINTS in each mode, however many creations race.
const MAX = 5;
const t = useTestApp({ isProduction: true, nodeEnv: 'production', webhookMaxEndpoints: MAX });

const PUBLIC = ['https://93.184.216.34/hook', 'http://[2606:2800:220:1:248:1893:25c8:1946]:8080/x?y=1'];
/** Internal addresses in every spelling, and URLs that are no webhook target at all. */
const HOSTILE_URLS = [
  'http://127.0.0.1/',
  'http://2130706433/',
  'http://0177.0.0.1/',
  'http://0x7f.1/',
  'http://127.1/',
  'http://[::1]/',
  'http://[::ffff:127.0.0.1]/',
  'http://[::ffff:0:7f00:1]/',
  'http://[::127.0.0.1]/',
  'http://[::a9fe:a9fe]/latest/meta-data/',
  'http://169.254.169.254/latest/meta-data/',
  'http://[::ffff:a9fe:a9fe]/',
  'http://[64:ff9b::a9fe:a9fe]/',
  'http://[2002:a9fe:a9fe::]/',
  'http://[fd00:ec2::254]/',
  'http://[fe80::1]/',
  'http://10.1.2.3/',
  'http://172.16.0.1/',
  'http://192.168.0.1/',
  'http://100.64.0.1/',
  'http://0.0.0.0/',
  'http://[::]/',
  'http://localhost/',
  'http://LOCALHOST./',
  'http://hooks.localhost/',
  'http://①②⑦.0.0.1/',
  'ftp://93.184.216.34/',
  'file:///etc/passwd',
  'javascript:alert(1)',
  'gopher://93.184.216.34:70/',
  'http://user:pw@93.184.216.34/',
  'http://93.184.216.34@127.0.0.1/',
  'http://93.184.216.34:99999/',
  '//93.184.216.34/',
  `http://93.184.216.34/${'a'.repeat(2100)}`,
  `http://93.184.216.34/${'é'.repeat(1000)}`,
  `http://93.184.216.34/?q=${'"'.repeat(1000)}`,
];

const CREATE = `mutation($input: CreateWebhookEndpointInput!) { r: createWebhookEndpoint(input: $input) {
  __typename ... on Error { code message param } ... on WebhookEndpointWithSecret { endpoint { id } } } }`;
const UPDATE = `mutation($id: ID!, $input: UpdateWebhookEndpointInput!) { r: updateWebhookEndpoint(id: $id, input: $input) {
  __typename ... on Error { code message param } ... on WebhookEndpoint { id } } }`;
const ROTATE = `mutation($id: ID!) { r: rotateWebhookSecret(id: $id) {
  __typename ... on Error { code message param } ... on WebhookEndpointWithSecret { endpoint { id } } } }`;
const DELETE = `mutation($id: ID!) { r: deleteWebhookEndpoint(id: $id) {
  __typename ... on Error { code message param } ... on WebhookEndpoint { id } } }`;

type Door = 'http' | 'ws';
const sockets: Awaited<ReturnType<typeof rawSocket>>[] = [];
afterAll(() => {
  for (const s of sockets) s.close();
});

/** Sends a document through a door; the answer's field `r`, or the request's first error. */
async function send(m: TestMerchant, door: Door, query: string, variables: unknown, n: number) {
  const payload = JSON.stringify({ query, variables });
  let body: any;
  if (door === 'http') {
    const res = await t.request({ method: 'POST', url: '/graphql', as: m, rawBody: payload });
    expect(res.status, `${payload} → ${res.text}`).toBeLessThan(500);
    body = res.body;
  } else {
    let s = sockets.find((x) => (x as any).merchant === m.merchantId && !x.closed());
    if (!s) {
      s = Object.assign(await rawSocket(await wsUrlOf(t), keyInit(m)), { merchant: m.merchantId });
      sockets.push(s);
    }
    body = await overSocket(s, `op${n}`, payload);
  }
  const r = body?.data?.r;
  const code = r?.code ?? body?.errors?.[0]?.extensions?.code;
  expect(code, `${payload} → ${JSON.stringify(body)}`).not.toBe('internal_error');
  if (!r || r.__typename.endsWith('Error')) {
    expect(code, `${payload} → ${JSON.stringify(body)}`).toBeDefined();
    return { ok: false as const, body };
  }
  return { ok: true as const, body };
}

async function endpointRows(merchantId: string) {
  const r = await t.app.pool.query(
    `select id, url, description, events, status, body_signing_key_id, encode(secret_ciphertext, 'hex') s,
       deleted_at is not null as deleted from webhook_endpoints where merchant_id = $1 order by id`,
    [merchantId],
  );
  return r.rows;
}

const url = fc.oneof(
  { arbitrary: fc.constantFrom(...HOSTILE_URLS), weight: 3 },
  { arbitrary: fc.constantFrom(...PUBLIC), weight: 2 },
  { arbitrary: hostileString, weight: 1 },
);
const events = fc.oneof(
  fc.constant(undefined),
  fc.subarray(['TRANSFER_COMPLETED', 'WITHDRAWAL_COMPLETED']),
  fc.constant(['NOPE']),
  fc.constant('TRANSFER_COMPLETED'),
  fc.constant([null]),
);
const text = fc.oneof(fc.constant(undefined), fc.string({ maxLength: 20 }), hostileString);
const input = fc.record(
  {
    url,
    events,
    description: text,
    enabled: fc.oneof(fc.boolean(), fc.constant('yes')),
    bodySignature: fc.constantFrom('API_KEY', 'ENDPOINT_SECRET', 'BOTH', undefined),
    bodySignatureKeyId: fc.oneof(fc.constant(undefined), fc.constant('key_nope'), hostileString),
  },
  { requiredKeys: [] },
);
const target = fc.constantFrom('mine', 'other', 'missing', 'hostile');
const action = fc.oneof(
  fc.record({ kind: fc.constant('create' as const), input }),
  fc.record({ kind: fc.constant('update' as const), input, target }),
  fc.record({ kind: fc.constant('rotate' as const), target }),
  fc.record({ kind: fc.constant('delete' as const), target: fc.constantFrom('other', 'missing', 'hostile') }),
);

function isPublic(stored: string): boolean {
  const host = new URL(stored).hostname.replace(/^\[|\]$/g, '');
  const a = ipaddr.process(host);
  return (
    a.range() === 'unicast' && (a.kind() === 'ipv4' || (a as ipaddr.IPv6).match(ipaddr.parseCIDR('2000::/3')))
  );
}

describe('webhook endpoint management with bad input', () => {
  it('keeps a merchant at the cap of endpoints per mode, however many creations race', async () => {
    const m = await t.merchant('test');
    let n = 1000;
    const race = () =>
      Promise.all(
        Array.from({ length: 3 * MAX }, (_, i) =>
          send(m, i % 2 ? 'ws' : 'http', CREATE, { input: { url: PUBLIC[i % 2] } }, n++),
        ),
      );
    const first = await race();
    expect(first.filter((r) => r.ok)).toHaveLength(MAX);
    for (const r of first.filter((x) => !x.ok))
      expect(r.body.data.r).toMatchObject({ __typename: 'ValidationError', code: 'invalid_request' });
    expect((await endpointRows(m.merchantId)).filter((r) => !r.deleted)).toHaveLength(MAX);
    // A deleted endpoint frees its place; the other mode has places of its own.
    await send(m, 'http', DELETE, { id: first.find((r) => r.ok)!.body.data.r.endpoint.id }, n++);
    expect((await race()).filter((r) => r.ok)).toHaveLength(1);
    const live = await t.app.services.webhooks.create(
      { merchantId: m.merchantId, mode: 'live' },
      { url: PUBLIC[0] },
    );
    expect(live.endpoint.mode).toBe('live');
  });

  it('refuses every spelling of an internal target, on both doors and in both modes', async () => {
    let n = 0;
    for (const mode of ['test', 'live'] as const) {
      const m = await t.merchant(mode);
      for (const door of ['http', 'ws'] as const)
        for (const u of HOSTILE_URLS) {
          const r = await send(m, door, CREATE, { input: { url: u } }, n++);
          expect(r.ok, `${mode} ${door} ${u} was accepted`).toBe(false);
          expect(r.body.data?.r?.param ?? r.body.errors?.[0]?.extensions?.param, u).toBe('url');
        }
      expect(await endpointRows(m.merchantId)).toEqual([]);
    }
  });

  it('answers every request without a 5xx, changes nothing when it refuses, and stores only public targets', {
    timeout: 120_000,
  }, async () => {
    const other = await t.merchant('test');
    const otherId = (await send(other, 'http', CREATE, { input: { url: PUBLIC[0] } }, 0)).body.data.r.endpoint
      .id;
    let n = 1;
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom<'test' | 'live'>('test', 'live'),
        fc.array(fc.record({ action, door: fc.constantFrom<Door>('http', 'ws') }), {
          minLength: 1,
          maxLength: 8,
        }),
        async (mode, steps) => {
          const m = await t.merchant(mode);
          const mine = (await send(m, 'http', CREATE, { input: { url: PUBLIC[0] } }, n++)).body.data.r
            .endpoint.id;
          const ids = { mine, other: otherId, missing: 'whe_0000000000000000', hostile: 'x\u0000y' };
          for (const { action: a, door } of steps) {
            const before = await endpointRows(m.merchantId);
            const id = 'target' in a ? ids[a.target] : undefined;
            const [query, variables] =
              a.kind === 'create'
                ? [CREATE, { input: a.input }]
                : a.kind === 'update'
                  ? [UPDATE, { id, input: a.input }]
                  : [a.kind === 'rotate' ? ROTATE : DELETE, { id }];
            const r = await send(m, door, query, variables, n++);
            const after = await endpointRows(m.merchantId);
            if (!r.ok)
              expect(after, `${a.kind} ${JSON.stringify(variables)} refused but changed`).toEqual(before);
            for (const row of after) {
              expect(row.url.length).toBeLessThanOrEqual(2048);
              expect(isPublic(row.url), `stored ${row.url}`).toBe(true);
            }
          }
        },
      ),
      { ...fuzzParams(), numRuns: Math.max(fuzzParams().numRuns ?? 12, 40) },
    );
  });
});
