import { createHmac } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type TestMerchant, useTestApp } from '../helpers/app.js';
import { untilListable, untilWebhooksSettled } from '../helpers/outbox.js';
import { run } from '../helpers/process.js';
import { eventually, startReceiver, useReceivers } from '../helpers/receiver.js';

const t = useTestApp(
  {
    webhookRetryScheduleMs: [200, 400, 800, 1600],
    webhookTimeoutMs: 500,
    outboxPollMs: 100,
    webhookReconcileMs: 400,
    webhookDisableAfterMs: 60_000,
    // A failing endpoint's probes at most 200 ms apart: these tests count its retries, not its back-off.
    webhookFailingProbeMs: 50,
    webhookFailingProbeMaxMs: 200,
  },
  { role: 'all' },
);
const receivers = useReceivers();

async function receiver(port = 0) {
  const r = await startReceiver(port);
  receivers.push(r);
  return r;
}

const CREATE = `mutation($input: CreateWebhookEndpointInput!) {
  createWebhookEndpoint(input: $input) {
    __typename
    ... on WebhookEndpointWithSecret { secret endpoint { id url events enabled } }
    ... on Error { code message param }
  }
}`;

async function endpoint(m: TestMerchant, url: string, events?: string[]) {
  const r = await t.graphql(m, CREATE, { input: { url, events } });
  const res = r.body.data.createWebhookEndpoint;
  expect(res.__typename).toBe('WebhookEndpointWithSecret');
  return { id: res.endpoint.id as string, secret: res.secret as string };
}

async function transfer(m: TestMerchant, amount = 1, extra: Record<string, unknown> = {}) {
  const r = await t.request({
    url: '/api/v1/transfer',
    as: m,
    body: { fromUserId: 'payer', toUserId: 'payee', amount, ...extra },
  });
  expect(r.status).toBe(200);
  return r.body;
}

/** A funded merchant with an endpoint whose receiver answers `status` to everything. */
async function failingEndpoint(status: number) {
  const m = await t.merchant();
  await t.credit(m, 'payer', '10');
  const r = await receiver();
  r.setResponder(() => status);
  return { m, r, ep: await endpoint(m, r.url) };
}

const hmac = (secret: string, text: string) => createHmac('sha256', secret).update(text).digest('hex');
/** The bytes the body `signature` covers: the body from `"event"` up to `,"signature"`, in braces. */
const signedText = (raw: string) => `{${raw.slice(raw.indexOf('"event"'), raw.lastIndexOf(',"signature"'))}}`;

describe('webhook delivery', () => {
  it('delivers one signed transfer.completed per subscribed endpoint, in the page’s shape', async () => {
    const m = await t.merchant();
    await t.credit(m, 'payer', '100');
    const a = await receiver();
    const b = await receiver();
    const other = await receiver();
    const epA = await endpoint(m, a.url, ['TRANSFER_COMPLETED']);
    const epB = await endpoint(m, b.url);
    await endpoint(m, other.url, ['DEPOSIT_CONFIRMED']);
    const tx = await transfer(m, 12.5, { description: 'Donation', metadata: { streamId: 'stream_123' } });
    await eventually(() => a.received.length === 1 && b.received.length === 1);
    await untilWebhooksSettled(t.app.pool, m.merchantId); // nothing more will be sent
    expect(a.received).toHaveLength(1);
    expect(b.received).toHaveLength(1);
    expect(other.received).toHaveLength(0);

    const got = a.received[0]!;
    expect(Object.keys(got.json).sort()).toEqual(['data', 'event', 'id', 'signature', 'timestamp']);
    expect(got.json).toMatchObject({
      event: 'transfer.completed',
      data: {
        id: tx.id,
        fromUserId: 'payer',
        toUserId: 'payee',
        amount: 12.5,
        fromBalance: 87.5,
        toBalance: 12.5,
      },
    });
    expect(got.json.id).toMatch(/^evt_/);
    // The body signature: HMAC of the body's own text of {event, data, timestamp} (amounts as sent: 12.50).
    expect(got.body).toContain('"amount":12.50,');
    expect(got.json.signature).toBe(hmac(epA.secret, signedText(got.body)));
    // The header signature: t=<unix>,v1=HMAC of "<t>.<raw body>".
    expect(got.headers['x-webhook-id']).toBe(got.json.id);
    const [tPart, v1Part] = String(got.headers['x-signature']).split(',');
    expect(tPart).toBe(`t=${got.headers['x-webhook-timestamp']}`);
    expect(v1Part).toBe(`v1=${hmac(epA.secret, `${tPart!.slice(2)}.${got.body}`)}`);
    expect(b.received[0]!.json.signature).toBe(hmac(epB.secret, signedText(b.received[0]!.body)));
  });

  it('retries a failing receiver with growing delays until it answers 2xx, and logs every attempt', async () => {
    const m = await t.merchant();
    await t.credit(m, 'payer', '10');
    const r = await receiver();
    r.setResponder((_req, n) => (n === 1 ? 500 : n === 2 ? 'hang' : 200), 2000);
    const ep = await endpoint(m, r.url);
    await transfer(m);
    await eventually(() => r.received.length >= 3, 20_000);
    const gaps = [r.received[1]!.at - r.received[0]!.at, r.received[2]!.at - r.received[1]!.at];
    expect(gaps[1]).toBeGreaterThan(gaps[0]!);
    const q = `query($f: WebhookDeliveryFilter) { webhookDeliveries(filter: $f) { totalCount edges { node {
      status attempts lastStatusCode attemptLog { attempt statusCode error latencyMs responseSnippet } } } } }`;
    const d = await eventually(async () => {
      const res = await t.graphql(m, q, { f: { endpointId: ep.id } });
      const node = res.body.data.webhookDeliveries.edges[0]?.node;
      return node?.status === 'SUCCEEDED' ? node : null;
    });
    expect(d.attempts).toBe(3);
    expect(d.attemptLog.map((a: any) => [a.attempt, a.statusCode, a.error])).toEqual([
      [1, 500, 'HTTP 500'],
      [2, null, 'timeout after 500 ms'],
      [3, 200, null],
    ]);
    expect(d.attemptLog[0].responseSnippet).toBe('status 500');
    expect(new Set(r.received.map((x) => x.json.id)).size).toBe(1);
  });

  it('delivers once a refusing receiver comes back, and redelivers on demand with the same event id', async () => {
    const m = await t.merchant();
    await t.credit(m, 'payer', '10');
    const probe = await receiver();
    const port = probe.port;
    await probe.close();
    receivers.splice(receivers.indexOf(probe), 1);
    const ep = await endpoint(m, `http://127.0.0.1:${port}/hook`);
    await transfer(m);
    // A couple of refused attempts first (counted, not slept for: a loaded machine retries later).
    await eventually(async () => {
      const r = await t.app.pool.query(
        `select count(*)::int as n from webhook_attempts where endpoint_id = $1 and error = 'ECONNREFUSED'`,
        [ep.id],
      );
      return r.rows[0].n >= 2;
    }, 20_000);
    const back = await receiver(port);
    await eventually(() => back.received.length === 1, 20_000);
    const eventId = back.received[0]!.json.id;
    const redo = await t.graphql(
      m,
      `mutation($e: ID!, $p: ID) { redeliverEvent(eventId: $e, endpointId: $p) { __typename ... on MutationRedeliverEventSuccess { data { status } } ... on Error { code } } }`,
      { e: eventId, p: ep.id },
    );
    expect(redo.body.data.redeliverEvent.__typename).toBe('MutationRedeliverEventSuccess');
    await eventually(() => back.received.length === 2);
    expect(back.received[1]!.json.id).toBe(eventId);
    const attempts = await t.app.pool.query(
      'select count(*)::int as n, min(error) as err from webhook_attempts where endpoint_id = $1',
      [ep.id],
    );
    expect(attempts.rows[0].n).toBeGreaterThanOrEqual(3);
    expect(attempts.rows[0].err).toBe('ECONNREFUSED');
  });

  it('signs with both secrets for a day after a rotation', async () => {
    const m = await t.merchant();
    await t.credit(m, 'payer', '10');
    const r = await receiver();
    const ep = await endpoint(m, r.url);
    const rot = await t.graphql(
      m,
      `mutation($id: ID!) { rotateWebhookSecret(id: $id) { ... on WebhookEndpointWithSecret { secret } } }`,
      {
        id: ep.id,
      },
    );
    const fresh = rot.body.data.rotateWebhookSecret.secret as string;
    expect(fresh).not.toBe(ep.secret);
    await transfer(m);
    await eventually(() => r.received.length === 1);
    const got = r.received[0]!;
    const [tPart, ...v1s] = String(got.headers['x-signature']).split(',');
    const signed = `${tPart!.slice(2)}.${got.body}`;
    expect(v1s).toEqual([`v1=${hmac(fresh, signed)}`, `v1=${hmac(ep.secret, signed)}`]);
  });

  it('refuses non-http URLs, and loopback targets in live mode (SSRF)', async () => {
    const live = await t.merchant('live');
    const res = (await t.graphql(live, CREATE, { input: { url: 'http://127.0.0.1:9/hook' } })).body.data
      .createWebhookEndpoint;
    expect(res).toMatchObject({ __typename: 'ValidationError', param: 'url' });
    const internal = (await t.graphql(live, CREATE, { input: { url: 'http://10.1.2.3/hook' } })).body.data
      .createWebhookEndpoint;
    expect(internal.__typename).toBe('ValidationError');
    const test = await t.merchant();
    const ftp = (await t.graphql(test, CREATE, { input: { url: 'ftp://example.com/x' } })).body.data
      .createWebhookEndpoint;
    expect(ftp).toMatchObject({ __typename: 'ValidationError', param: 'url' });
  });

  it('lists events for catching up, with filters and pagination', async () => {
    const m = await t.merchant();
    await t.credit(m, 'payer', '10');
    for (let i = 0; i < 3; i++) await transfer(m);
    const q = `query($f: EventFilter, $first: Int, $after: String) { events(filter: $f, first: $first, after: $after) {
      totalCount pageInfo { hasNextPage endCursor } edges { node { id type data createdAt } } } }`;
    await untilListable(t.app.pool);
    const all = (await t.graphql(m, q, {})).body.data.events;
    expect(all.totalCount).toBe(4);
    const transfers = (await t.graphql(m, q, { f: { type: 'TRANSFER_COMPLETED' }, first: 2 })).body.data
      .events;
    expect(transfers.totalCount).toBe(3);
    expect(transfers.pageInfo.hasNextPage).toBe(true);
    const rest = (
      await t.graphql(m, q, {
        f: { type: 'TRANSFER_COMPLETED' },
        first: 2,
        after: transfers.pageInfo.endCursor,
      })
    ).body.data.events;
    expect(rest.edges).toHaveLength(1);
    expect(rest.edges[0].node.data).toMatchObject({ fromUserId: 'payer', amount: 1 });
    const other = await t.merchant();
    expect((await t.graphql(other, q, {})).body.data.events.totalCount).toBe(0);
  });
});

describe('failing endpoints', () => {
  it('disables an endpoint that has failed for longer than the window, and says why', async () => {
    const { m, r, ep } = await failingEndpoint(503);
    // It has been failing for four days already (the window is WEBHOOK_DISABLE_AFTER_HOURS, 72 by default).
    await t.app.pool.query(
      `update webhook_endpoints set failing_since = now() - interval '4 days' where id = $1`,
      [ep.id],
    );
    await transfer(m);
    const q = '{ webhookEndpoints { id enabled disabledReason } }';
    const e = await eventually(async () => {
      const list = (await t.graphql(m, q)).body.data.webhookEndpoints;
      return list.find((x: any) => x.id === ep.id && !x.enabled);
    });
    expect(e.disabledReason).toMatch(/^failing for 9\d(\.\d)? h$/);
    // The endpoint is disabled first, then the delivery is closed: wait for both.
    const d = await eventually(async () => {
      const r = await t.app.pool.query(
        'select status, last_error from webhook_deliveries where endpoint_id = $1',
        [ep.id],
      );
      return r.rows[0]?.status === 'failed' ? r.rows[0] : null;
    });
    expect(d).toEqual({ status: 'failed', last_error: 'HTTP 503; endpoint disabled' });
    // Re-enabling clears the failure and deliveries flow again.
    r.setResponder(() => 200);
    const upd = await t.graphql(
      m,
      `mutation($id: ID!) { updateWebhookEndpoint(id: $id, input: {enabled: true}) { ... on WebhookEndpoint { enabled } } }`,
      {
        id: ep.id,
      },
    );
    expect(upd.body.data.updateWebhookEndpoint.enabled).toBe(true);
    const before = r.received.length;
    await transfer(m);
    await eventually(() => r.received.length > before && r.received.at(-1)!.headers['x-webhook-id']);
  });

  it('a late failure of an endpoint already deleted neither disables it again nor changes why', async () => {
    const { m, ep } = await failingEndpoint(503);
    await transfer(m);
    const d = await eventually(async () => {
      const q = await t.app.pool.query('select event_id from webhook_deliveries where endpoint_id = $1', [
        ep.id,
      ]);
      return q.rows[0] ?? null;
    });
    // Deleted while failing for four days: an answer that was still in flight comes back afterwards.
    await t.app.pool.query(
      `update webhook_endpoints set failing_since = now() - interval '4 days', status = 'disabled',
         disabled_reason = 'deleted', deleted_at = now() where id = $1`,
      [ep.id],
    );
    const store = t.app.workers!.webhooks.dispatcher.store;
    const late = {
      eventId: d.event_id,
      endpointId: ep.id,
      version: new Date().toISOString(),
      attempt: 9,
      statusCode: null,
      latencyMs: 10_000,
    };
    const out = await store.recordFailures(
      [{ ...late, snippet: null, error: 'timeout after 10000 ms', last: false, retryMs: 1000 }],
      t.app.config.webhookDisableAfterMs,
    );
    expect([...out.disabled]).toEqual([ep.id]);
    expect(out.newlyDisabled).toEqual([]); // nothing to log: it was not this write that disabled it
    const row = await t.app.pool.query(
      'select status, disabled_reason from webhook_endpoints where id = $1',
      [ep.id],
    );
    expect(row.rows[0]).toEqual({ status: 'disabled', disabled_reason: 'deleted' });
  });

  it('marks a failing endpoint once: its further failed attempts are logged without writing its row again', async () => {
    const { m, ep } = await failingEndpoint(500);
    const row = async () =>
      (
        await t.app.pool.query(
          `select xmin::text as version, failing_since, updated_at, status from webhook_endpoints where id = $1`,
          [ep.id],
        )
      ).rows[0];
    const attempts = async () =>
      Number(
        (await t.app.pool.query('select count(*) from webhook_attempts where endpoint_id = $1', [ep.id]))
          .rows[0].count,
      );
    await transfer(m);
    const marked = await eventually(async () => {
      const x = await row();
      return x.failing_since ? x : null;
    });
    const before = await attempts();
    await transfer(m);
    await transfer(m);
    // Three deliveries failing and retried (200 ms, 400 ms, …): several more attempts, each logged.
    await eventually(async () => (await attempts()) >= before + 4);
    expect(await row()).toEqual(marked);
    // Counted in one statement: retries go on meanwhile, so two counts could see different attempts.
    const counts = await t.app.pool.query(
      `select count(*) filter (where error = 'HTTP 500')::int as failed, count(*)::int as total
       from webhook_attempts where endpoint_id = $1`,
      [ep.id],
    );
    expect(counts.rows[0].failed).toBe(counts.rows[0].total);
  });
});

describe('the verification examples of docs/api.md', () => {
  const doc = readFileSync(new URL('../../docs/api.md', import.meta.url), 'utf8');
  const example = (marker: string, lang: string) => {
    const block = new RegExp(
      `<!-- ${marker}:start -->\\s*\`\`\`${lang}\\n([\\s\\S]*?)\`\`\`\\s*<!-- ${marker}:end -->`,
    ).exec(doc);
    expect(block, marker).not.toBeNull();
    return block![1]!;
  };
  const dir = mkdtempSync(join(tmpdir(), 'novapay-verify-'));

  /** A real delivery (a balance with two decimals, a metadata number JavaScript and Python print otherwise). */
  async function delivery(input: Record<string, unknown> = {}) {
    const m = await t.merchant();
    await t.credit(m, 'payer', '10');
    const r = await receiver();
    const ep = await endpoint(m, r.url);
    if (input.bodySignature) {
      const upd = await t.graphql(
        m,
        `mutation($id: ID!, $input: UpdateWebhookEndpointInput!) { updateWebhookEndpoint(id: $id, input: $input) { __typename } }`,
        { id: ep.id, input },
      );
      expect(upd.body.data.updateWebhookEndpoint.__typename).toBe('WebhookEndpoint');
    }
    await transfer(m, 1, { metadata: { ratio: 0.000001 } });
    await eventually(() => r.received.length === 1);
    return { got: r.received[0]!, secret: ep.secret, m };
  }

  it('Node.js: verifies a real delivery, and refuses a tampered one or a wrong secret', async () => {
    const file = join(dir, 'verify.mjs');
    writeFileSync(file, example('verify-webhook', 'js'));
    const { verifyWebhook, verifyBodySignature } = await import(file);
    const { got, secret } = await delivery();
    // JavaScript would write these back as 9 and 1e-6 / 0.000001: the signed bytes are cut out, not rebuilt.
    expect(got.body).toContain('"amount":1,');
    expect(got.body).toMatch(/"fromBalance":9\.00[,}]/);
    expect(got.body).toContain('"ratio":0.000001');
    const header = got.headers['x-signature'];
    expect(verifyWebhook(got.body, header, secret)).toBe(true);
    expect(verifyWebhook(got.body.replace('"amount":1,', '"amount":9,'), header, secret)).toBe(false);
    expect(verifyWebhook(got.body, header, 'whsec_wrong')).toBe(false);
    expect(verifyBodySignature(got.body, secret)).toBe(true);
    expect(verifyBodySignature(got.body.replace('"amount":1,', '"amount":9,'), secret)).toBe(false);
  });

  it('Python: verifies the header with the endpoint secret and the body with the API secret', async () => {
    writeFileSync(join(dir, 'verify_webhook.py'), example('verify-webhook-python', 'python'));
    const { got, secret, m } = await delivery({ bodySignature: 'API_KEY' });
    writeFileSync(join(dir, 'body.json'), got.body);
    const driver = [
      'import sys, json',
      `sys.path.insert(0, ${JSON.stringify(dir)})`,
      'from verify_webhook import verify_webhook, verify_body_signature',
      `raw = open(${JSON.stringify(join(dir, 'body.json'))}, "rb").read()`,
      'header, secret, api_secret = sys.argv[1:4]',
      'tampered = raw.replace(b\'"amount":1,\', b\'"amount":9,\')',
      'print(json.dumps([verify_webhook(raw, header, secret), verify_webhook(tampered, header, secret),',
      '  verify_body_signature(raw, api_secret), verify_body_signature(raw, secret),',
      '  verify_body_signature(tampered, api_secret)]))',
    ].join('\n');
    const r = await run('python3', ['-c', driver, String(got.headers['x-signature']), secret, m.apiSecret]);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual([true, false, true, false, false]);
  });
});
