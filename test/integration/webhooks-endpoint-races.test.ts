import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { useTestApp } from '../helpers/app.js';
import { eventually } from '../helpers/receiver.js';

// An endpoint's update, rotation or delete racing another change to the same row (two dashboards, a script
// and a person). Each request read the row and then wrote it by id alone: an update wrote back every field it
// had read (undoing a concurrent update of another field) and revived an endpoint deleted in between (a
// deleted row marked enabled). The races are made deterministic by a transaction that holds the row's lock
// while the request's write waits for it, and changes the row before letting go.

const t = useTestApp();
let blocker: pg.Client;
beforeEach(async () => {
  blocker = new pg.Client({ connectionString: t.app.config.databaseUrl });
  await blocker.connect();
});
afterEach(async () => {
  await blocker.query('rollback').catch(() => undefined);
  await blocker.end();
});

/** Runs `request` while `change` is applied to the row under a lock the request's write has to wait for. */
async function race<T>(
  id: string,
  change: string,
  request: () => Promise<T>,
): Promise<PromiseSettledResult<T>> {
  await blocker.query('begin');
  await blocker.query('select 1 from webhook_endpoints where id = $1 for update', [id]);
  const pending = request().then(
    (value) => ({ status: 'fulfilled', value }) as const,
    (reason) => ({ status: 'rejected', reason }) as const,
  );
  // The request's statement is waiting on the lock the blocker holds (an update or delete that may also wake
  // the workers is `with u as (update webhook_endpoints …) … pg_notify …`).
  await eventually(async () => {
    const r = await t.app.pool.query(
      `select 1 from pg_stat_activity where wait_event_type = 'Lock'
         and query ~ '^(with u as \\()?update webhook_endpoints'`,
    );
    return r.rowCount! > 0;
  }, 10_000);
  await blocker.query(change, [id]);
  await blocker.query('commit');
  return pending;
}

describe('webhook endpoint changes racing each other', () => {
  it('an update changes only the fields it was given', async () => {
    const m = await t.merchant();
    const tenant = { merchantId: m.merchantId, mode: 'test' as const };
    const { endpoint } = await t.app.services.webhooks.create(tenant, {
      url: 'http://127.0.0.1:9/a',
      description: 'first',
    });
    const r = await race(
      endpoint.id,
      `update webhook_endpoints set url = 'http://127.0.0.1:9/b' where id = $1`,
      () => t.app.services.webhooks.update(tenant, endpoint.id, { description: 'second' }),
    );
    expect(r.status).toBe('fulfilled');
    const row = await t.app.services.webhooks.get(tenant, endpoint.id);
    expect({ url: row.url, description: row.description }).toEqual({
      url: 'http://127.0.0.1:9/b',
      description: 'second',
    });
  });

  it('an endpoint deleted while it was updated, rotated or deleted again stays deleted: not_found', async () => {
    const m = await t.merchant();
    const tenant = { merchantId: m.merchantId, mode: 'test' as const };
    const del = `update webhook_endpoints set deleted_at = now(), status = 'disabled', disabled_reason = 'deleted' where id = $1`;
    const attempts: ((id: string) => Promise<unknown>)[] = [
      (id: string) => t.app.services.webhooks.update(tenant, id, { enabled: true }),
      (id: string) => t.app.services.webhooks.rotateSecret(tenant, id),
      (id: string) => t.app.services.webhooks.delete(tenant, id),
    ];
    for (const attempt of attempts) {
      const { endpoint } = await t.app.services.webhooks.create(tenant, { url: 'http://127.0.0.1:9/x' });
      const r = await race(endpoint.id, del, () => attempt(endpoint.id));
      expect(r.status).toBe('rejected');
      expect((r as PromiseRejectedResult).reason).toMatchObject({ code: 'not_found', param: 'id' });
      const row = await t.app.pool.query('select status, deleted_at from webhook_endpoints where id = $1', [
        endpoint.id,
      ]);
      expect(row.rows[0].status).toBe('disabled');
      expect(row.rows[0].deleted_at).not.toBeNull();
    }
  });
});
