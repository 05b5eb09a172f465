import { promises as dns, type LookupAddress } from 'node:dns';
import { afterAll, describe, expect, it } from 'vitest';
import { DeliverySender } from '../../src/modules/webhooks/delivery/sender.js';
import type { Claimed } from '../../src/modules/webhooks/delivery/store.js';
import type { EndpointRow } from '../../src/modules/webhooks/service.js';
import { WebhookTargets } from '../../src/modules/webhooks/ssrf.js';
import { useTestApp } from '../helpers/app.js';
import { startDnsServer } from '../helpers/dns-server.js';
import { eventually, startReceiver } from '../helpers/receiver.js';

// Webhooks are no way into our own network (issue 12): in production no endpoint of either mode may target a
// loopback, private, link-local or reserved address unless the operator allows its network, the check holds
// inside each delivery's connection (DNS rebinding), and refusals never name the address a host resolved to.
const t = useTestApp(
  {
    isProduction: true,
    nodeEnv: 'production',
    webhookRetryScheduleMs: [60_000],
    webhookTimeoutMs: 1000,
    outboxPollMs: 100,
  },
  { role: 'all' },
);
const receiver = await startReceiver();
afterAll(() => receiver.close());
/** A name server a merchant controls: it drops every query about the evil names. */
const server = await startDnsServer((name) => {
  if (name.startsWith('evil')) return 'drop';
  if (name === 'good.example') return ['93.184.216.34'];
  if (name === 'receiver.example') return ['127.0.0.1'];
  return 'nxdomain';
});
afterAll(() => server.close());

const CREATE = `mutation($input: CreateWebhookEndpointInput!) {
  createWebhookEndpoint(input: $input) {
    __typename
    ... on WebhookEndpointWithSecret { endpoint { id } }
    ... on Error { code message param }
  }
}`;
const ATTEMPTS = `{ webhookDeliveries { edges { node { status attemptLog { statusCode responseSnippet error } } } } }`;

/** A delivery of event `eventId` to `endpoint` as a worker holds it, and the secrets it is signed with. */
const claimedFor = (endpoint: EndpointRow, eventId: string) =>
  ({
    eventId,
    endpointId: endpoint.id,
    attempts: 0,
    eventType: 'transfer.completed',
    payload: '{}',
    eventCreatedAt: new Date(),
    endpoint,
  }) as Claimed;
const secrets = { header: ['whsec_test'], body: 'whsec_test' };

describe('webhook targets in production', () => {
  it('refuses internal addresses for test-mode and live endpoints alike, without naming them', async () => {
    for (const mode of ['test', 'live'] as const) {
      const m = await t.merchant(mode);
      for (const url of [
        receiver.url,
        `http://localhost:${receiver.port}/hook`,
        'http://169.254.169.254/latest/meta-data/',
        'http://[::ffff:127.0.0.1]/',
        'http://10.0.0.7/',
        'http://[fd00:ec2::254]/',
        'http://100.100.100.200/',
      ]) {
        const r = await t.graphql(m, CREATE, { input: { url } });
        const res = r.body.data.createWebhookEndpoint;
        expect(res, `${mode} ${url}`).toMatchObject({
          __typename: 'ValidationError',
          code: 'invalid_request',
          param: 'url',
        });
        expect(res.message).not.toMatch(/127\.0\.0\.1|::1/);
      }
    }
    expect(receiver.received).toHaveLength(0);
  });

  it('checks again inside the delivery: a name that now resolves to loopback is never connected to', async () => {
    const m = await t.merchant('test');
    await t.credit(m, 'payer', '10');
    // Saved while its name answered with a public address; the row is pointed at a loopback name afterwards,
    // as a rebinding DNS answer would do.
    const r = await t.graphql(m, CREATE, { input: { url: 'http://93.184.216.34/hook' } });
    const id = r.body.data.createWebhookEndpoint.endpoint.id;
    await t.app.pool.query('update webhook_endpoints set url = $2 where id = $1', [
      id,
      `http://localhost:${receiver.port}/hook`,
    ]);
    const tx = await t.request({
      url: '/api/v1/transfer',
      as: m,
      body: { fromUserId: 'payer', toUserId: 'payee', amount: 1 },
    });
    expect(tx.status).toBe(200);
    const attempt = await eventually(async () => {
      const d = (await t.graphql(m, ATTEMPTS)).body.data.webhookDeliveries.edges[0]?.node;
      return d?.attemptLog?.[0];
    });
    expect(attempt.statusCode).toBeNull();
    expect(attempt.responseSnippet).toBeNull();
    expect(attempt.error).toMatch(/^refused: /);
    expect(attempt.error).not.toMatch(/127\.0\.0\.1|::1/);
    expect(receiver.received).toHaveLength(0);
  });
});

describe('WebhookTargets', () => {
  /** A resolver whose answers the test decides (a rebinding DNS server, or a name only this test knows). */
  const resolver = (answers: string[][]) => {
    let n = 0;
    return ((_host: string, _opts: unknown, cb: (e: Error | null, a: LookupAddress[]) => void) => {
      const list = answers[Math.min(n++, answers.length - 1)]!;
      cb(
        null,
        list.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })),
      );
    }) as never;
  };
  /** One attempt to `url` as the worker sends it (guarded: the connection reaches only allowed addresses). */
  const post = (targets: WebhookTargets, url: string) => {
    const endpoint = { id: 'we_ssrf', url, status: 'enabled' } as EndpointRow;
    return new DeliverySender(targets, 2000).send(claimedFor(endpoint, 'evt_ssrf'), endpoint, secrets, true);
  };
  const production = { isProduction: true, webhookAllowPrivateUrls: false };

  it('connects to the address it checked: a rebinding answer is refused at connect time', async () => {
    const targets = new WebhookTargets(
      { ...production, webhookAllowedPrivateCidrs: [] },
      resolver([['93.184.216.34'], ['127.0.0.1']]),
    );
    const url = `http://rebind.invalid:${receiver.port}/hook`;
    await targets.assertAllowed(new URL(url)); // the first answer is public
    const before = receiver.received.length;
    expect((await post(targets, url)).error).toMatch(/^refused: /);
    expect(receiver.received.length).toBe(before);
    await targets.close();
  });

  it('wants https for a live-mode endpoint, except inside a network the operator allows; test mode may use http', async () => {
    const m = { live: await t.merchant('live'), test: await t.merchant('test') };
    const create = async (mode: 'live' | 'test', url: string) =>
      (await t.graphql(m[mode], CREATE, { input: { url } })).body.data.createWebhookEndpoint;
    // example.com's address, public: only the scheme decides.
    const plain = await create('live', 'http://93.184.216.34/hook');
    expect(plain).toMatchObject({ __typename: 'ValidationError', code: 'invalid_request', param: 'url' });
    expect(plain.message).toMatch(/must be https for a live-mode endpoint/);
    expect(await create('live', 'https://93.184.216.34/hook')).toMatchObject({
      __typename: 'WebhookEndpointWithSecret',
    });
    expect(await create('test', 'http://93.184.216.34/hook')).toMatchObject({
      __typename: 'WebhookEndpointWithSecret',
    });
    // An update to plain http is refused the same way, and leaves the endpoint as it was.
    const list = await t.graphql(m.live, `{ webhookEndpoints { id url } }`);
    const [endpoint] = list.body.data.webhookEndpoints;
    const updated = await t.graphql(
      m.live,
      `mutation($id: ID!, $input: UpdateWebhookEndpointInput!) { updateWebhookEndpoint(id: $id, input: $input) {
        __typename ... on Error { code param } } }`,
      { id: endpoint.id, input: { url: 'http://93.184.216.34/other' } },
    );
    expect(updated.body.data.updateWebhookEndpoint).toMatchObject({ code: 'invalid_request', param: 'url' });
    expect((await t.graphql(m.live, `{ webhookEndpoints { url } }`)).body.data.webhookEndpoints).toEqual([
      { url: 'https://93.184.216.34/hook' },
    ]);

    // Inside an allowed network plain http stays possible for live endpoints (an internal receiver).
    const targets = new WebhookTargets(
      { ...production, webhookAllowedPrivateCidrs: ['127.0.0.0/8'] },
      resolver([['127.0.0.1'], ['93.184.216.34']]),
    );
    await targets.assertAllowed(new URL('http://internal.invalid/hook'), 'live');
    await expect(targets.assertAllowed(new URL('http://public.invalid/hook'), 'live')).rejects.toMatchObject({
      code: 'invalid_request',
      param: 'url',
    });
    await targets.close();
  });

  it('reaches networks the operator allows by CIDR, at the checked address', async () => {
    const targets = new WebhookTargets(
      { ...production, webhookAllowedPrivateCidrs: ['127.0.0.0/8'] },
      resolver([['127.0.0.1']]),
    );
    // The name exists only in this resolver: the connection used its (checked) answer.
    const url = `http://internal.invalid:${receiver.port}/hook`;
    await targets.assertAllowed(new URL(url));
    const before = receiver.received.length;
    expect(await post(targets, url)).toMatchObject({ statusCode: 200, error: null });
    expect(receiver.received.length).toBe(before + 1);
    await expect(targets.assertAllowed(new URL('http://10.0.0.7/'))).rejects.toMatchObject({
      code: 'invalid_request',
    });
    await targets.close();
  });

  it('bounds lookups of hosts whose DNS never answers: two threads at most, and every caller waits its timeout at most', async () => {
    // getaddrinfo against a silent DNS server: the callback comes only when the test lets it.
    const started: string[] = [];
    const pending: (() => void)[] = [];
    const silent = ((host: string, _opts: unknown, cb: (e: Error | null, a: LookupAddress[]) => void) => {
      started.push(host);
      pending.push(() => cb(null, [{ address: '93.184.216.34', family: 4 }]));
    }) as never;
    const targets = new WebhookTargets({ ...production, webhookAllowedPrivateCidrs: [] }, silent, {
      timeoutMs: 300,
      inFlight: 2,
    });
    const slow = [1, 2, 3].map((i) => targets.assertAllowed(new URL(`http://slow${i}.invalid/`)));
    // Two hold a thread; the third waits for one (and times out waiting): a clear 400 for each, not an
    // endless wait.
    for (const p of slow) await expect(p).rejects.toMatchObject({ code: 'invalid_request', param: 'url' });
    expect(started).toEqual(['slow1.invalid', 'slow2.invalid']);
    // Timed out, the two still hold their threads until getaddrinfo returns; when they do, a waiting lookup
    // runs (the third gave up, so it is skipped) and its answer is checked.
    const next = targets.assertAllowed(new URL('http://next.invalid/'));
    for (const answer of pending.splice(0)) answer();
    await eventually(() => pending.length === 1);
    expect(started.at(-1)).toBe('next.invalid');
    pending.shift()!();
    await expect(next).resolves.toBeUndefined();
    // A delivery's connection to a silent host fails within the timeout too, as a failed attempt.
    expect(await post(targets, 'http://silent-delivery.invalid/hook')).toMatchObject({
      statusCode: null,
      error: 'ETIMEOUT',
    });
    for (const answer of pending.splice(0)) answer();
    await targets.close();
  });
});

describe('lookups of hosts whose name server never answers', () => {
  // The attacker review: a merchant adds endpoints on names whose name server drops every query and makes
  // cheap test-mode transfers, so each delivery attempt starts another lookup that never answers. Those
  // lookups must not keep any other merchant's host from resolving, when saving an endpoint or delivering.
  const production = { isProduction: true, webhookAllowPrivateUrls: false };
  /** getaddrinfo as the thread pool runs it: never answers the evil names, so a lookup of one holds its thread. */
  const threadLookups: string[] = [];
  const getaddrinfo = ((host: string, _opts: unknown, cb: (e: Error | null, a: LookupAddress[]) => void) => {
    threadLookups.push(host);
    if (!host.startsWith('evil')) cb(null, [{ address: '93.184.216.34', family: 4 }]);
  }) as never;
  /** The name server's resolver for the webhook lookups (c-ares), waiting long for the evil names. */
  const resolver = () => {
    const r = new dns.Resolver({ timeout: 10_000, tries: 1 });
    r.setServers([server.address]);
    return r;
  };
  const deadQueries = () => server.queries.filter((q) => q.includes(' evil')).length;
  /** Targets as a worker or an API process has them (5 s wait, two threads), on the name server above. */
  const onNameServer = (r: InstanceType<typeof dns.Resolver>, webhookAllowedPrivateCidrs: string[] = []) =>
    new WebhookTargets({ ...production, webhookAllowedPrivateCidrs }, getaddrinfo, undefined, {
      resolver: r,
    });

  it('two endpoints on a dead name server leave a good host resolvable (the reproduction)', async () => {
    threadLookups.length = 0;
    const r = resolver();
    const targets = new WebhookTargets(
      { ...production, webhookAllowedPrivateCidrs: [] },
      getaddrinfo,
      { timeoutMs: 300, inFlight: 2 },
      { resolver: r },
    );
    for (const host of ['evil1.attacker.example', 'evil2.attacker.example'])
      await expect(targets.assertAllowed(new URL(`https://${host}/hook`))).rejects.toMatchObject({
        code: 'invalid_request',
        param: 'url',
      });
    await expect(targets.assertAllowed(new URL('https://good.example/hook'))).resolves.toBeUndefined();
    // Public names are asked of the name server directly: none took a thread of the pool.
    expect(threadLookups).toEqual([]);
    r.cancel();
    await targets.close();
  });

  it('a good host resolves at once while many dead hosts are still being looked up', async () => {
    const r = resolver();
    const targets = onNameServer(r);
    const before = deadQueries();
    let settled = 0;
    const dead = Array.from({ length: 20 }, (_, i) =>
      targets.assertAllowed(new URL(`https://evil${i}.attacker.example/hook`)).then(
        () => settled++,
        (err: unknown) => {
          settled++;
          return err;
        },
      ),
    );
    // Every dead name's queries (A and AAAA) reached the name server, which answers none of them.
    await eventually(() => deadQueries() - before >= 40);
    await expect(targets.assertAllowed(new URL('https://good.example/hook'))).resolves.toBeUndefined();
    expect(settled).toBe(0);
    r.cancel(); // the dead lookups end (as they would after the timeout): each a 400 for its own URL
    for (const p of dead) expect(await p).toMatchObject({ code: 'invalid_request', param: 'url' });
    await targets.close();
  });

  it('a delivery to a good host goes through while deliveries to dead hosts wait for their lookups', async () => {
    threadLookups.length = 0;
    const r = resolver();
    const targets = onNameServer(r, ['127.0.0.0/8']);
    const sender = new DeliverySender(targets, 10_000);
    const send = (host: string, n: number) => {
      const endpoint = {
        id: `we_${n}`,
        url: `http://${host}:${receiver.port}/hook`,
        status: 'enabled',
      } as EndpointRow;
      return sender.send(claimedFor(endpoint, `evt_dns_${n}`), endpoint, secrets, true);
    };
    const before = deadQueries();
    const dead = [send('evil1.attacker.example', 1), send('evil2.attacker.example', 2)];
    await eventually(() => deadQueries() - before >= 4);
    const received = receiver.received.length;
    const good = await send('receiver.example', 3);
    expect(good).toMatchObject({ statusCode: 200, error: null });
    expect(receiver.received.length).toBe(received + 1);
    expect(receiver.received.at(-1)!.json.id).toBe('evt_dns_3');
    expect(threadLookups).toEqual([]);
    r.cancel();
    for (const d of dead) expect((await d).statusCode).toBeNull();
    await targets.close();
  });

  it("ends a delivery at its own deadline while its host's lookup still waits (nothing was sent yet)", async () => {
    // The attempt's deadline is the worker's (WEBHOOK_TIMEOUT_MS), whether the POST is under way or its
    // connection is still being made: the lookup's own limit (5 s here) is not what ends it.
    const r = resolver();
    const targets = onNameServer(r);
    const sender = new DeliverySender(targets, 300);
    const endpoint = { id: 'we_deadline', url: 'https://evil-deadline.attacker.example/hook' } as EndpointRow;
    const attempt = await sender.send(claimedFor(endpoint, 'evt_deadline'), endpoint, secrets, true);
    expect(attempt).toMatchObject({ statusCode: null, snippet: null, error: 'timeout after 300 ms' });
    r.cancel();
    await targets.close();
  });
});
