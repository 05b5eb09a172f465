import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_COOKIE } from '../../src/http/ops.js';
import type { ErrorCode } from '../../src/lib/errors.js';
import { createLogger } from '../../src/lib/logger.js';
import { type OpsQueues, openOpsQueues } from '../../src/ops/queues.js';
import { type OpsDeps, opsStatus, retryAllFailed, retryJob } from '../../src/ops/status.js';
import { type TestMerchant, useTestApp } from '../helpers/app.js';
import { eventually, startReceiver } from '../helpers/receiver.js';

const METRICS_TOKEN = 'metrics-scraper-token-0123456789';
const t = useTestApp(
  {
    // One retry a minute away: a failed first attempt leaves its delivery pending for the whole file.
    webhookRetryScheduleMs: [60_000],
    webhookTimeoutMs: 1000,
    outboxPollMs: 100,
    metricsToken: METRICS_TOKEN,
  },
  { role: 'all' },
);

const receivers: Awaited<ReturnType<typeof startReceiver>>[] = [];
let ops: OpsQueues;
let deps: OpsDeps;
let admin: string;
let userToken: string;

beforeAll(async () => {
  ops = openOpsQueues(t.app.queues, t.app.config.redisPrefix);
  deps = { pool: t.app.pool, queues: ops.all };
  admin = (await t.app.services.tokens.issueAdmin(600)).token;
  userToken = (
    await t.app.services.tokens.issueUserSession({ merchantId: 'mer_x', mode: 'test' }, 'alice', 600, [
      'read',
    ])
  ).token;
  // A chain scanner 11 blocks behind, which last saw the head 30 s ago.
  await t.app.pool.query(
    `insert into chain_cursors (chain, next_block, head_block, head_seen_at)
     values ('OPSTEST', 90, 100, now() - interval '30 seconds')`,
  );
});
afterAll(async () => {
  await t.app?.queues.webhooks.resume();
  await ops?.close(createLogger('silent'), 1000);
  for (const r of receivers) await r.close();
});

async function receiver(status = 200) {
  const r = await startReceiver();
  r.setResponder(() => status);
  receivers.push(r);
  return r;
}

const CREATE = `mutation($input: CreateWebhookEndpointInput!) {
  createWebhookEndpoint(input: $input) {
    __typename
    ... on WebhookEndpointWithSecret { secret endpoint { id } }
  }
}`;

async function endpoint(m: TestMerchant, url: string): Promise<string> {
  const r = await t.graphql(m, CREATE, { input: { url } });
  expect(r.body.data.createWebhookEndpoint.__typename).toBe('WebhookEndpointWithSecret');
  return r.body.data.createWebhookEndpoint.endpoint.id;
}

async function transfer(m: TestMerchant, amount = 1) {
  const r = await t.request({
    url: '/api/v1/transfer',
    as: m,
    body: { fromUserId: 'payer', toUserId: 'payee', amount },
  });
  expect(r.status).toBe(200);
}

/** eventually() for a probe that answers null until it has its value. */
async function until<T>(probe: () => Promise<T | null | undefined>): Promise<T> {
  return (await eventually(probe)) as T;
}

function get(url: string, headers: Record<string, string> = {}) {
  return t.app.server.inject({ method: 'GET', url, headers });
}

async function scrape(): Promise<string> {
  const r = await get('/metrics', { authorization: `Bearer ${admin}` });
  expect(r.statusCode).toBe(200);
  expect(r.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
  return r.body;
}

/** The value of one series, matched by name and (a subset of) its labels; undefined when absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got = Object.fromEntries(
      [...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1], x[2]]),
    );
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) return Number(m[3]);
  }
  return undefined;
}

/** Refused in our error format (lib/errors.ts errorBody), with the request id. */
function expectRefused(r: { statusCode: number; json(): any }, status: number, code: ErrorCode) {
  expect(r.statusCode).toBe(status);
  expect(r.json()).toEqual({
    error: { code, message: expect.any(String), requestId: expect.stringMatching(/^req_/) },
  });
}

describe('/metrics', () => {
  it('refuses without the admin token, with a merchant HMAC and with a non-admin token', async () => {
    expectRefused(await get('/metrics'), 401, 'invalid_token');
    const m = await t.merchant();
    const hmac = await t.request({ url: '/metrics', as: m });
    expect(hmac.status).toBe(401);
    expect(hmac.body.error.code).toBe('invalid_token');
    expectRefused(
      await get('/metrics', { authorization: `Bearer ${admin.slice(0, -2)}xx` }),
      401,
      'invalid_token',
    );
    expectRefused(await get('/metrics', { authorization: admin }), 401, 'invalid_token');
    expectRefused(await get('/metrics', { authorization: `Bearer ${userToken}` }), 403, 'forbidden');
    const expired = await t.app.services.tokens.issueAdmin(-10);
    expectRefused(await get('/metrics', { authorization: `Bearer ${expired.token}` }), 401, 'invalid_token');
    expectRefused(await get('/metrics', { authorization: `Bearer ${METRICS_TOKEN}x` }), 401, 'invalid_token');
  });

  it('takes METRICS_TOKEN as a bearer besides admin tokens', async () => {
    const r = await get('/metrics', { authorization: `Bearer ${METRICS_TOKEN}` });
    expect(r.statusCode).toBe(200);
    expect(r.body).toContain('novapay_http_request_duration_seconds');
  });

  it('shows request durations by route pattern, backlogs, queue depths, scanner lag and webhook outcomes', async () => {
    const m = await t.merchant();
    await t.credit(m, 'payer', '100');
    const ok = await receiver(200);
    const failing = await receiver(500);
    await endpoint(m, ok.url);
    await endpoint(m, failing.url);
    for (let i = 0; i < 3; i++) await transfer(m);
    // An unknown user: the route matched, the answer is 404.
    expect((await t.request({ url: '/api/v1/balance/secret-looking-user-42', as: m })).status).toBe(404);
    expect((await get('/no/such/route/xyz-123')).statusCode).toBe(404);
    // Named and unnamed GraphQL operations, and a transfer refused for want of funds.
    expect((await t.graphql(m, 'query OpsProbe { viewer { id } }')).body.data.viewer.id).toBe(m.merchantId);
    expect((await t.graphql(m, '{ __typename }')).status).toBe(200);
    const poor = await t.request({
      url: '/api/v1/transfer',
      as: m,
      body: { fromUserId: 'nobody-rich', toUserId: 'payee', amount: 1 },
    });
    expect(poor.status).toBe(404);
    await eventually(() => ok.received.length === 3 && failing.received.length === 3);

    // Attempts are recorded, and failed jobs moved to delayed, just after the receivers answer.
    const text = await until(async () => {
      const s = await scrape();
      const settled =
        sample(s, 'novapay_webhook_attempts_total', { outcome: 'success' }) === 3 &&
        sample(s, 'novapay_webhook_attempts_total', { outcome: 'http_error' }) === 3 &&
        sample(s, 'novapay_webhook_endpoints', { state: 'failing' }) === 1 &&
        (sample(s, 'novapay_queue_jobs', { queue: 'webhooks', state: 'delayed' }) ?? 0) >= 3;
      return settled ? s : null;
    });

    // Default process metrics.
    expect(sample(text, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
    expect(sample(text, 'nodejs_heap_size_total_bytes')).toBeGreaterThan(0);

    // The HTTP histogram, labelled by Fastify's route pattern, never the raw URL.
    const transfer200 = { method: 'POST', route: '/api/v1/transfer', status: '200' };
    expect(sample(text, 'novapay_http_request_duration_seconds_count', transfer200)).toBe(3);
    expect(sample(text, 'novapay_http_request_duration_seconds_sum', transfer200)).toBeGreaterThan(0);
    expect(sample(text, 'novapay_http_request_duration_seconds_bucket', { ...transfer200, le: '+Inf' })).toBe(
      3,
    );
    expect(
      sample(text, 'novapay_http_request_duration_seconds_count', {
        route: '/api/v1/balance/:userId',
        status: '404',
      }),
    ).toBe(1);
    expect(
      sample(text, 'novapay_http_request_duration_seconds_count', { route: 'unmatched', status: '404' }),
    ).toBeGreaterThanOrEqual(1);
    expect(text).not.toContain('secret-looking-user-42');
    expect(text).not.toContain('xyz-123');

    // Outbox backlog and queue depths (collected on scrape).
    expect(sample(text, 'novapay_outbox_backlog')).toBeGreaterThanOrEqual(0);
    expect(sample(text, 'novapay_outbox_oldest_unpublished_seconds')).toBeGreaterThanOrEqual(0);
    for (const state of ['waiting', 'active', 'delayed', 'failed']) {
      expect(sample(text, 'novapay_queue_jobs', { queue: 'webhooks', state })).toBeGreaterThanOrEqual(0);
      expect(sample(text, 'novapay_queue_jobs', { queue: 'chain-scan', state })).toBeGreaterThanOrEqual(0);
      expect(sample(text, 'novapay_queue_jobs', { queue: 'maintenance', state })).toBeGreaterThanOrEqual(0);
    }
    // The failing endpoint's three deliveries wait a minute for their retry.
    expect(
      sample(text, 'novapay_queue_jobs', { queue: 'webhooks', state: 'delayed' }),
    ).toBeGreaterThanOrEqual(3);
    expect(sample(text, 'novapay_queue_paused', { queue: 'webhooks' })).toBe(0);

    // Scanner lag from chain_cursors.
    expect(sample(text, 'novapay_scanner_head_block', { chain: 'OPSTEST' })).toBe(100);
    expect(sample(text, 'novapay_scanner_next_block', { chain: 'OPSTEST' })).toBe(90);
    expect(sample(text, 'novapay_scanner_lag_blocks', { chain: 'OPSTEST' })).toBe(11);
    expect(sample(text, 'novapay_scanner_lag_seconds', { chain: 'OPSTEST' })).toBeGreaterThanOrEqual(29);

    // Webhook outcomes: attempts by outcome, deliveries still pending, endpoints failing.
    expect(sample(text, 'novapay_webhook_attempts_total', { outcome: 'success' })).toBe(3);
    expect(sample(text, 'novapay_webhook_attempts_total', { outcome: 'http_error' })).toBe(3);
    expect(sample(text, 'novapay_webhook_attempts_total', { outcome: 'network_error' })).toBe(0);
    expect(sample(text, 'novapay_webhook_deliveries_pending')).toBe(3);
    expect(sample(text, 'novapay_webhook_endpoints', { state: 'failing' })).toBe(1);
    expect(sample(text, 'novapay_metrics_source_up', { source: 'postgres' })).toBe(1);
    expect(sample(text, 'novapay_metrics_source_up', { source: 'redis' })).toBe(1);

    // GraphQL operation durations, by operation name, type and source (REST routes run named operations).
    const restTransfer = { operation: 'RestTransfer', type: 'mutation', source: 'rest' };
    expect(sample(text, 'novapay_graphql_operation_duration_seconds_count', restTransfer)).toBe(4);
    expect(sample(text, 'novapay_graphql_operation_duration_seconds_sum', restTransfer)).toBeGreaterThan(0);
    expect(
      sample(text, 'novapay_graphql_operation_duration_seconds_count', {
        operation: 'RestBalance',
        type: 'query',
        source: 'rest',
      }),
    ).toBe(1);
    expect(
      sample(text, 'novapay_graphql_operation_duration_seconds_count', {
        operation: 'OpsProbe',
        type: 'query',
        source: 'graphql',
      }),
    ).toBe(1);
    expect(
      sample(text, 'novapay_graphql_operation_duration_seconds_count', {
        operation: 'anonymous',
        type: 'query',
        source: 'graphql',
      }),
    ).toBeGreaterThanOrEqual(1);

    // Ledger postings and batch sizes: the credit and three transfers committed (one transaction each);
    // the transfer from an unknown user was refused without failing its batch.
    const committed = sample(text, 'novapay_ledger_postings_total', { outcome: 'committed' })!;
    expect(committed).toBeGreaterThanOrEqual(4);
    expect(sample(text, 'novapay_ledger_postings_total', { outcome: 'rejected' })).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'novapay_ledger_postings_total', { outcome: 'failed' })).toBe(0);
    expect(sample(text, 'novapay_ledger_transactions_total')).toBe(committed);
    const batches = sample(text, 'novapay_ledger_batch_size_count')!;
    expect(batches).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'novapay_ledger_batch_size_sum')).toBeGreaterThanOrEqual(committed + 1);
    expect(sample(text, 'novapay_ledger_batch_size_bucket', { le: '1000' })).toBe(batches);
    expect(sample(text, 'novapay_ledger_batch_duration_seconds_count')).toBe(batches);

    // Counters only move forward: a second scrape does not count the same attempts again.
    const again = await scrape();
    expect(sample(again, 'novapay_webhook_attempts_total', { outcome: 'success' })).toBe(3);
    expect(
      sample(again, 'novapay_http_request_duration_seconds_count', { route: '/metrics', status: '200' }),
    ).toBeGreaterThanOrEqual(1);
  });
});

describe('/admin/queues', () => {
  it('refuses without a valid admin token, in our error format', async () => {
    expectRefused(await get('/admin/queues'), 401, 'invalid_token');
    expectRefused(await get('/admin/queues/api/queues'), 401, 'invalid_token');
    expectRefused(await get('/admin/queues?token=nope'), 401, 'invalid_token');
    expectRefused(await get(`/admin/queues?token=${userToken}`), 403, 'forbidden');
    expectRefused(await get('/admin/queues', { cookie: `${ADMIN_COOKIE}=nope` }), 401, 'invalid_token');
    expectRefused(await get('/admin/queues', { cookie: `${ADMIN_COOKIE}=%E0%A4%A` }), 401, 'invalid_token');
    expectRefused(await get('/admin/queues', { cookie: `${ADMIN_COOKIE}=${userToken}` }), 403, 'forbidden');
    const m = await t.merchant();
    const hmac = await t.request({ url: '/admin/queues/api/queues', as: m });
    expect(hmac.status).toBe(401);
  });

  it('exchanges ?token= for an HttpOnly cookie, redirects without it, then serves the dashboard', async () => {
    const before = Math.floor(Date.now() / 1000);
    const r = await get(`/admin/queues?token=${admin}`);
    const after = Math.ceil(Date.now() / 1000);
    expect(r.statusCode).toBe(303);
    expect(r.headers.location).toBe('/admin/queues');
    const setCookie = String(r.headers['set-cookie']);
    expect(setCookie).toMatch(new RegExp(`^${ADMIN_COOKIE}=[^;]+; `));
    expect(setCookie).toContain('; Path=/admin');
    expect(setCookie).toContain('; HttpOnly');
    expect(setCookie).toContain('; SameSite=Strict');
    // The cookie lives as long as the token has left (its exp), not a fixed wall-clock window after the test
    // made it: on a loaded machine the exchange can come well after the token was made.
    const exp = (JSON.parse(Buffer.from(admin.split('.')[1]!, 'base64url').toString()) as { exp: number })
      .exp;
    const maxAge = Number(/; Max-Age=(\d+)(;|$)/.exec(setCookie)?.[1]);
    expect(maxAge).toBeGreaterThanOrEqual(exp - after);
    expect(maxAge).toBeLessThanOrEqual(exp - before);
    const cookie = setCookie.split(';')[0]!;

    const deep = await get(`/admin/queues/queue/webhooks?status=failed&token=${admin}`);
    expect(deep.statusCode).toBe(303);
    expect(deep.headers.location).toBe('/admin/queues/queue/webhooks?status=failed');

    const page = await get('/admin/queues', { cookie });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.body).toContain('<base href="/admin/queues/"');
    expect(page.body).toContain('NovaPay queues');

    // The assets the page loads pass the same gate.
    const css = /href="(static\/css\/[^"]+\.css)"/.exec(page.body)![1]!;
    expect((await get(`/admin/queues/${css}`, { cookie })).statusCode).toBe(200);
    expect((await get(`/admin/queues/${css}`)).statusCode).toBe(401);

    const api = await get('/admin/queues/api/queues', { cookie });
    expect(api.statusCode).toBe(200);
    const names = api.json().queues.map((q: { name: string }) => q.name);
    expect(names.sort()).toEqual(['chain-scan', 'maintenance', 'webhooks']);

    // A bearer header works as well as the cookie.
    const bearer = await get('/admin/queues/api/queues', { authorization: `Bearer ${admin}` });
    expect(bearer.statusCode).toBe(200);

    // Actions (bodiless PUTs, as the UI sends them) go through on webhooks; chain-scan and maintenance are read-only.
    const put = (url: string, headers: Record<string, string> = { cookie }) =>
      t.app.server.inject({ method: 'PUT', url, headers });
    expect((await put('/admin/queues/api/queues/webhooks/pause', {})).statusCode).toBe(401);
    expect((await put('/admin/queues/api/queues/webhooks/pause')).statusCode).toBe(200);
    expect(await t.app.queues.webhooks.isPaused()).toBe(true);
    expect((await put('/admin/queues/api/queues/webhooks/resume')).statusCode).toBe(200);
    expect(await t.app.queues.webhooks.isPaused()).toBe(false);
    expect((await put('/admin/queues/api/queues/chain-scan/pause')).statusCode).toBe(405);
    expect((await put('/admin/queues/api/queues/maintenance/pause')).statusCode).toBe(405);
  });
});

describe('opsStatus', () => {
  it('returns real queue counts, waiting age, failed jobs, scanner lag and the webhook backlog', async () => {
    const m = await t.merchant();
    await t.credit(m, 'payer', '100');
    const r = await receiver(200);
    const endpointId = await endpoint(m, r.url);

    const webhooksOf = (s: Awaited<ReturnType<typeof opsStatus>>) =>
      s.queues.find((q) => q.name === 'webhooks')!;
    const before = webhooksOf(await opsStatus(deps));
    expect(before.error).toBeNull();
    expect(before.paused).toBe(false);

    // Paused on the dashboard, delivery stops and the deliveries wait in the backlog. (The queue mirrors
    // scheduled retries only: first attempts go from PostgreSQL to the receiver, so its waiting count does
    // not move.)
    await t.app.queues.webhooks.pause();
    try {
      await until(async () => webhooksOf(await opsStatus(deps)).paused || null);
      await transfer(m);
      await transfer(m);
      const paused = await until(async () => {
        const s = await opsStatus(deps);
        const backlog = s.webhookBacklog.find((b) => b.endpointId === endpointId);
        return backlog?.pending === 2 ? s : null;
      });
      const q = webhooksOf(paused);
      expect(q.paused).toBe(true);
      const backlog = paused.webhookBacklog.find((b) => b.endpointId === endpointId);
      expect(backlog).toMatchObject({
        merchantId: m.merchantId,
        mode: 'test',
        url: r.url,
        pending: 2,
        due: 2,
      });
      expect(r.received.length).toBe(0);

      const metrics = await scrape();
      expect(sample(metrics, 'novapay_queue_paused', { queue: 'webhooks' })).toBe(1);
      expect(sample(metrics, 'novapay_webhook_deliveries_pending')).toBeGreaterThanOrEqual(2);
    } finally {
      await t.app.queues.webhooks.resume();
    }
    await eventually(() => r.received.length === 2);
    await eventually(async () => {
      const s = await opsStatus(deps);
      return !s.webhookBacklog.some((b) => b.endpointId === endpointId);
    });

    // A job for a delivery that never existed, created over an hour ago, fails for good.
    await t.app.queues.webhooks.add(
      'deliver',
      { eventId: 'evt_missing', endpointId: 'we_missing' },
      { jobId: 'ops-test-orphan', timestamp: Date.now() - 2 * 3600_000, attempts: 1 },
    );
    const failed = await until(async () => {
      const q = webhooksOf(await opsStatus(deps));
      return q.failedJobs.find((j) => j.id === 'ops-test-orphan') ? q : null;
    });
    expect(failed.counts!.failed).toBe(before.counts!.failed + 1);
    expect(failed.failedJobs.find((j) => j.id === 'ops-test-orphan')).toMatchObject({
      name: 'deliver',
      failedReason: 'no delivery evt_missing → we_missing',
      attemptsMade: 1,
      failedAt: expect.any(Date),
    });

    // Retried, it runs (and fails) again.
    expect(await retryJob(deps, 'webhooks', 'nope')).toBe(false);
    expect(await retryJob(deps, 'webhooks', 'ops-test-orphan')).toBe(true);
    await eventually(async () => {
      const job = await t.app.queues.webhooks.getJob('ops-test-orphan');
      return job && (await job.getState()) === 'failed' && job.attemptsMade === 2;
    });
    expect(await retryAllFailed(deps, 'webhooks')).toBe(1);
    await eventually(async () => {
      const job = await t.app.queues.webhooks.getJob('ops-test-orphan');
      return job && (await job.getState()) === 'failed' && job.attemptsMade === 3;
    });
    await (await t.app.queues.webhooks.getJob('ops-test-orphan'))?.remove();

    // Scanners, from chain_cursors.
    const s = await opsStatus(deps);
    expect(s.scanners.find((c) => c.chain === 'OPSTEST')).toMatchObject({
      headBlock: 100,
      cursorBlock: 90,
      lagBlocks: 11,
      headSeenAt: expect.any(Date),
    });
    expect(s.scanners.find((c) => c.chain === 'OPSTEST')!.lagSeconds).toBeGreaterThanOrEqual(29);
    expect(s.queues.map((q) => q.name)).toEqual(['webhooks', 'chain-scan', 'maintenance']);
    expect(s.queues.every((q) => q.error === null)).toBe(true);
  });
});

describe('GraphQL ops field', () => {
  it('answers admins with queue, scanner and webhook status, and refuses merchants', async () => {
    const { token } = await t.app.services.tokens.issueAdmin(60);
    const r = await t.graphql(
      { bearer: token },
      '{ ops { queues { name counts { waiting failed } } scanners { chain lagBlocks } } }',
    );
    expect(r.body.data.ops.queues.map((q: any) => q.name).sort()).toEqual([
      'chain-scan',
      'maintenance',
      'webhooks',
    ]);
    expect(r.body.data.ops.queues[0].counts).toEqual(
      expect.objectContaining({ waiting: expect.any(Number), failed: expect.any(Number) }),
    );
    expect(Array.isArray(r.body.data.ops.scanners)).toBe(true);
    const m = await t.merchant();
    const denied = await t.graphql(m, '{ ops { at } }');
    expect(denied.body.errors[0].extensions.code).toBe('forbidden');
  });
});
