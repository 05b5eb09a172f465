import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { type TestMerchant, useTestApp } from '../helpers/app.js';
import { eventually, startReceiver } from '../helpers/receiver.js';

// A webhook receiver is the merchant's server, not ours: whatever it answers must neither stall a worker,
// fill its memory, lead it elsewhere, nor stop other merchants' outcomes from being written.
const t = useTestApp(
  { webhookRetryScheduleMs: [60_000], webhookTimeoutMs: 800, outboxPollMs: 100, webhookReconcileMs: 400 },
  { role: 'all' },
);
const servers: Server[] = [];
const honest = await startReceiver();
afterAll(async () => {
  await honest.close();
  for (const s of servers) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

/** A receiver whose answer `handler` writes by hand. */
async function hostile(handler: Parameters<typeof createServer>[1]): Promise<string> {
  const s = createServer(handler);
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}/hook`;
}

const CREATE = `mutation($url: String!) {
  createWebhookEndpoint(input: { url: $url }) { __typename ... on WebhookEndpointWithSecret { endpoint { id } } }
}`;
const LOG = `{ webhookDeliveries { edges { node {
  status attemptLog { statusCode responseSnippet error } } } } }`;

async function merchantWith(url: string) {
  const m = await t.merchant();
  await t.credit(m, 'payer', '10');
  const r = await t.graphql(m, CREATE, { url });
  expect(r.body.data.createWebhookEndpoint.__typename).toBe('WebhookEndpointWithSecret');
  return { m, id: r.body.data.createWebhookEndpoint.endpoint.id as string };
}

async function transfer(m: TestMerchant) {
  const r = await t.request({
    url: '/api/v1/transfer',
    as: m,
    body: { fromUserId: 'payer', toUserId: 'payee', amount: 1 },
  });
  expect(r.status).toBe(200);
}

/** The first logged attempt of the endpoint's first delivery, once there is one. */
const firstAttempt = (m: TestMerchant, _id: string) =>
  eventually(async () => {
    const node = (await t.graphql(m, LOG)).body.data?.webhookDeliveries.edges[0]?.node;
    return node?.attemptLog?.[0] ? node : null;
  });

describe('hostile webhook receivers', () => {
  it('an answer with a NUL byte is logged (without it) and does not stop other outcomes', async () => {
    const bad = await merchantWith(
      await hostile((_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\u0000bye')),
    );
    const good = await merchantWith(honest.url);
    await Promise.all([transfer(bad.m), transfer(good.m)]);
    // Outcomes are written many to a statement (outcomes.ts): PostgreSQL refusing the NUL lost every outcome
    // of the batch, the honest merchant's too, and each was sent again whenever its lease lapsed.
    for (const { m } of [good, bad]) {
      await eventually(async () => {
        const edges = (await t.graphql(m, LOG)).body.data?.webhookDeliveries.edges ?? [];
        return edges.length > 0 && edges.every((e: any) => e.node.status === 'SUCCEEDED');
      });
    }
    const b = await firstAttempt(bad.m, bad.id);
    expect(b.attemptLog[0].responseSnippet).toBe('ok\ufffdbye');
  });

  it('a redirect is not followed, even to an address the endpoint could reach', async () => {
    const before = honest.received.length;
    const { m, id } = await merchantWith(
      await hostile((_req, res) => res.writeHead(307, { location: honest.url }).end()),
    );
    await transfer(m);
    const d = await firstAttempt(m, id);
    expect(d.attemptLog[0]).toMatchObject({ statusCode: 307, error: 'HTTP 307' });
    expect(honest.received.length).toBe(before);
  });

  it('a never-ending answer is cut off, and a slow drip ends at the timeout', async () => {
    let endlessWritten = 0;
    const endless = await merchantWith(
      await hostile((_req, res) => {
        res.writeHead(200);
        const chunk = Buffer.alloc(16 * 1024, 'a');
        const pump = (): void => {
          while (!res.destroyed && endlessWritten < 512 * 1024 * 1024) {
            endlessWritten += chunk.length;
            if (!res.write(chunk)) {
              res.once('drain', pump);
              return;
            }
          }
        };
        pump();
      }),
    );
    const drip = await merchantWith(
      await hostile((_req, res) => {
        res.writeHead(200);
        const timer = setInterval(() => (res.destroyed ? clearInterval(timer) : res.write('.')), 50);
      }),
    );
    await Promise.all([transfer(endless.m), transfer(drip.m)]);
    const e = await firstAttempt(endless.m, endless.id);
    expect(e.attemptLog[0].responseSnippet.length).toBeLessThanOrEqual(1024);
    expect(endlessWritten).toBeLessThan(64 * 1024 * 1024);
    const d = await firstAttempt(drip.m, drip.id);
    expect(d.attemptLog[0].error).toBe('timeout after 800 ms');
  });
});
