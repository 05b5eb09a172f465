import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { useTestApp } from '../helpers/app.js';
import { databaseUrl, setDatabaseOpen } from '../helpers/db.js';

// PostgreSQL refuses the API's connections (the database closed to new ones after its backends were ended, as in
// a failover, or every connection slot taken): a money-moving request, which cannot even start, answers 503
// service_unavailable with Retry-After on REST and GraphQL alike, never a 500, with nothing committed and its
// idempotency key free; the same request with the same key, once the database is back, is applied exactly once.

const t = useTestApp();
const admin = new pg.Client({ connectionString: databaseUrl('postgres') });
let closed = false;

async function closeDatabase(open: boolean) {
  closed = !open;
  await setDatabaseOpen(admin, t.dbName, t.app.pool, open);
}

afterAll(async () => {
  if (closed) await closeDatabase(true);
  await admin.end();
});

const TRANSFER = `mutation($input: TransferInput!, $key: String) { transfer(input: $input, idempotencyKey: $key) {
  __typename ... on Transfer { id } ... on Error { code message } } }`;

describe('a database that refuses connections', () => {
  it('answers 503 with Retry-After on REST and GraphQL, commits nothing, and the retry applies once', async () => {
    await admin.connect();
    const m = await t.merchant();
    await t.credit(m, 'payer', '100');
    const body = { fromUserId: 'payer', toUserId: 'payee', amount: '12.34' };
    const transfer = () =>
      t.request({ url: '/api/v1/transfer', as: m, body, headers: { 'idempotency-key': 'during-outage' } });

    await closeDatabase(false);
    const rest = await transfer();
    expect(rest.status).toBe(503);
    expect(rest.headers['retry-after']).toBe('1');
    expect(rest.body.error).toMatchObject({ code: 'service_unavailable' });
    const gql = await t.graphql(m, TRANSFER, {
      input: { fromUserId: 'payer', toUserId: 'payee', amount: '1.00' },
      key: 'gql-during-outage',
    });
    expect(gql.body.errors?.[0]?.extensions?.code ?? gql.body.data?.transfer?.code).toBe(
      'service_unavailable',
    );

    await closeDatabase(true);
    const retried = await transfer();
    expect(retried.status).toBe(200);
    expect((await transfer()).headers['idempotent-replayed']).toBe('true');
    const balance = await t.request({ url: '/api/v1/balance/payee', as: m });
    expect(balance.body.balance).toBe(12.34);
  });
});
