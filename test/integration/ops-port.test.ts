import { describe, expect, it } from 'vitest';
import { useTestApp } from '../helpers/app.js';
import { testPort } from '../helpers/ports.js';

// OPS_PORT: /metrics moves to its own listener (no auth, OPS_HOST) and leaves the public port.
const opsPort = testPort();
const t = useTestApp({ opsPort, opsHost: '127.0.0.1' });

describe('/metrics on the ops port', () => {
  it('is served there without auth once the app listens, and is not on the public port', async () => {
    const address = await t.app.listen(0, '127.0.0.1');
    const admin = (await t.app.services.tokens.issueAdmin(60)).token;
    const m = await t.merchant();
    await t.credit(m, 'payer', '5');
    expect((await fetch(`${address}/api/v1/balance/payer`, { headers: {} })).status).toBe(401);

    const scraped = await fetch(`http://127.0.0.1:${opsPort}/metrics`);
    expect(scraped.status).toBe(200);
    expect(scraped.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await scraped.text();
    expect(text).toContain('novapay_ledger_postings_total{outcome="committed"} 1');
    expect(text).toContain('novapay_http_request_duration_seconds_count');
    expect((await fetch(`http://127.0.0.1:${opsPort}/healthz`)).status).toBe(200);

    // Not on the public port, even with an admin token: it is an unknown route there.
    const pub = await fetch(`${address}/metrics`, { headers: { authorization: `Bearer ${admin}` } });
    expect(pub.status).toBe(404);
    expect((await pub.json()).error.code).toBe('not_found');
  });

  it('closes with the app', async () => {
    await t.app.server.close();
    await expect(fetch(`http://127.0.0.1:${opsPort}/metrics`)).rejects.toThrow();
  });
});
