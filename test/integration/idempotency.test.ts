import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { inTransaction } from '../../src/db/database.js';
import { requestHash } from '../../src/modules/idempotency/index.js';
import { type TestMerchant, useTestApp } from '../helpers/app.js';
import { databaseUrl } from '../helpers/db.js';

const t = useTestApp();

const TRANSFER = `mutation($input: TransferInput!, $key: String) {
  transfer(input: $input, idempotencyKey: $key) {
    __typename
    ... on Transfer { transactionId amount fromBalance toBalance replayed }
    ... on Error { code message param }
  }
}`;

function rest(m: TestMerchant, key: string, body: Record<string, unknown>) {
  return t.request({ url: '/api/v1/transfer', as: m, body, headers: { 'idempotency-key': key } });
}

async function balance(m: TestMerchant, userId: string) {
  return (await t.request({ url: `/api/v1/balance/${userId}`, as: m })).body.balance;
}

/** Holds a row lock on a user's account so a transfer from them waits inside its ledger batch. */
async function holdAccount(m: TestMerchant, userId: string) {
  const client = new pg.Client({ connectionString: databaseUrl(t.dbName) });
  await client.connect();
  await client.query('begin');
  await client.query(`select 1 from accounts where merchant_id = $1 and mode = $2 and code = $3 for update`, [
    m.merchantId,
    m.mode,
    userId,
  ]);
  return async () => {
    await client.query('commit');
    await client.end();
  };
}

async function until(check: () => Promise<boolean>) {
  for (let i = 0; i < 200; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('condition not reached');
}

describe('idempotency on REST', () => {
  it('replays the stored response with Idempotent-Replayed and moves money once', async () => {
    const m = await t.merchant();
    await t.credit(m, 'a', '100');
    const body = { fromUserId: 'a', toUserId: 'b', amount: 10 };
    const first = await rest(m, 'key-1', body);
    const second = await rest(m, 'key-1', body);
    expect(first.status).toBe(200);
    expect(second.status).toBe(200);
    expect(second.body).toEqual(first.body);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    expect(second.headers['idempotent-replayed']).toBe('true');
    expect(await balance(m, 'a')).toBe(90);
    // Same request with the amount written differently is the same request.
    expect((await rest(m, 'key-1', { ...body, amount: '10.00' })).status).toBe(200);
    expect(await balance(m, 'a')).toBe(90);
  });

  it('answers 409 idempotency_key_reused for the same key with another body', async () => {
    const m = await t.merchant();
    await t.credit(m, 'a', '100');
    expect((await rest(m, 'k', { fromUserId: 'a', toUserId: 'b', amount: 10 })).status).toBe(200);
    const reused = await rest(m, 'k', { fromUserId: 'a', toUserId: 'b', amount: 11 });
    expect([reused.status, reused.body.error.code]).toEqual([409, 'idempotency_key_reused']);
    expect(await balance(m, 'a')).toBe(90);
    // Keys are scoped per merchant: another merchant may use the same key.
    const other = await t.merchant();
    await t.credit(other, 'a', '5');
    expect((await rest(other, 'k', { fromUserId: 'a', toUserId: 'b', amount: 1 })).status).toBe(200);
  });

  it('answers 409 request_in_progress while the first request is still running', async () => {
    const m = await t.merchant();
    await t.credit(m, 'slow', '100');
    const release = await holdAccount(m, 'slow');
    const body = { fromUserId: 'slow', toUserId: 'b', amount: 1 };
    const first = rest(m, 'k-slow', body);
    // The first request's batch has claimed its key and waits for the held account (a claim taken in the
    // batch's transaction is not visible as a row until it commits; the running request is what counts).
    await until(async () => {
      const r = await t.app.pool.query(
        `select count(*)::int as n from pg_stat_activity
         where datname = current_database() and wait_event_type = 'Lock' and query like '%for update%'`,
      );
      return r.rows[0].n > 0;
    });
    const during = await rest(m, 'k-slow', body);
    expect([during.status, during.body.error.code]).toEqual([409, 'request_in_progress']);
    await release();
    expect((await first).status).toBe(200);
    const after = await rest(m, 'k-slow', body);
    expect(after.status).toBe(200);
    expect(after.headers['idempotent-replayed']).toBe('true');
    expect(await balance(m, 'slow')).toBe(99);
  });

  it('makes one transfer from 50 concurrent retries of one key', async () => {
    const m = await t.merchant();
    await t.credit(m, 'a', '100');
    const body = { fromUserId: 'a', toUserId: 'b', amount: 7 };
    const results = await Promise.all(Array.from({ length: 50 }, () => rest(m, 'burst', body)));
    const ok = results.filter((r) => r.status === 200);
    expect(ok.length).toBeGreaterThanOrEqual(1);
    for (const r of results) {
      if (r.status !== 200) expect([r.status, r.body.error.code]).toEqual([409, 'request_in_progress']);
    }
    expect(new Set(ok.map((r) => r.body.id)).size).toBe(1);
    expect(await balance(m, 'a')).toBe(93);
    expect((await t.request({ url: '/api/v1/transactions?userId=b', as: m })).body.total).toBe(1);
  });

  it('answers 20 concurrent retries of a finished request with its replay, none with 409', async () => {
    const m = await t.merchant();
    await t.credit(m, 'done', '100');
    const body = { fromUserId: 'done', toUserId: 'b', amount: 3 };
    const first = await rest(m, 'k-done', body);
    expect(first.status).toBe(200);
    const retries = await Promise.all(Array.from({ length: 20 }, () => rest(m, 'k-done', body)));
    for (const r of retries) {
      expect([r.status, r.headers['idempotent-replayed'], r.body.id]).toEqual([200, 'true', first.body.id]);
    }
    const reused = await Promise.all(
      Array.from({ length: 10 }, () => rest(m, 'k-done', { ...body, amount: 4 })),
    );
    for (const r of reused) expect([r.status, r.body.error.code]).toEqual([409, 'idempotency_key_reused']);
    expect(await balance(m, 'done')).toBe(97);
  });

  it('keeps ten keys apart when their retries share batches: ten transfers, every answer one of them', async () => {
    const m = await t.merchant();
    await t.credit(m, 'mix', '100');
    const sends = Array.from({ length: 40 }, (_, i) => ({ key: `mix-${i % 10}`, amount: 1 + (i % 10) }));
    const results = await Promise.all(
      sends.map((s) => rest(m, s.key, { fromUserId: 'mix', toUserId: 'mix-b', amount: s.amount })),
    );
    const idByKey = new Map<string, string>();
    for (const [i, r] of results.entries()) {
      if (r.status !== 200) {
        expect([r.status, r.body.error.code]).toEqual([409, 'request_in_progress']);
        continue;
      }
      expect(r.body.amount).toBe(sends[i]!.amount);
      const seen = idByKey.get(sends[i]!.key);
      if (seen) expect(r.body.id).toBe(seen);
      else idByKey.set(sends[i]!.key, r.body.id);
    }
    // Every key ran exactly once (a key whose answers were all 409 is run by its retry now).
    for (let k = 0; k < 10; k++) {
      const again = await rest(m, `mix-${k}`, { fromUserId: 'mix', toUserId: 'mix-b', amount: 1 + k });
      expect(again.status).toBe(200);
      if (idByKey.has(`mix-${k}`)) expect(again.body.id).toBe(idByKey.get(`mix-${k}`));
    }
    expect(await balance(m, 'mix')).toBe(100 - 55);
    const stored = await t.app.pool.query(
      `select count(*)::int as n from idempotency_keys where merchant_id = $1 and state = 'completed' and key like 'mix-%'`,
      [m.merchantId],
    );
    expect(stored.rows[0].n).toBe(10);
  });

  it('stores a decided failure and replays it; validation errors are not stored', async () => {
    const m = await t.merchant();
    await t.credit(m, 'poor', '1');
    const body = { fromUserId: 'poor', toUserId: 'b', amount: 5 };
    const first = await rest(m, 'k-fail', body);
    expect(first.body.error.code).toBe('insufficient_funds');
    await t.credit(m, 'poor', '10');
    const replay = await rest(m, 'k-fail', body);
    expect([replay.status, replay.body.error.code]).toEqual([400, 'insufficient_funds']);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    const invalid = await rest(m, 'k-invalid', { ...body, amount: 0 });
    expect(invalid.body.error.code).toBe('invalid_amount');
    expect((await rest(m, 'k-invalid', body)).status).toBe(200);
    const longKey = await rest(m, 'x'.repeat(256), body);
    expect([longKey.status, longKey.body.error.param]).toEqual([400, 'idempotencyKey']);
  });
});

describe('idempotency on GraphQL', () => {
  it('replays, refuses a reused key, and makes one transfer from 50 concurrent retries', async () => {
    const m = await t.merchant();
    await t.credit(m, 'g', '100');
    const input = { fromUserId: 'g', toUserId: 'h', amount: '2.50' };
    const first = (await t.graphql(m, TRANSFER, { input, key: 'gk' })).body.data.transfer;
    const again = (await t.graphql(m, TRANSFER, { input, key: 'gk' })).body.data.transfer;
    expect(first).toMatchObject({
      __typename: 'Transfer',
      amount: '2.50',
      fromBalance: '97.50',
      replayed: false,
    });
    expect(again).toEqual({ ...first, replayed: true });
    const reused = (await t.graphql(m, TRANSFER, { input: { ...input, amount: '3' }, key: 'gk' })).body.data
      .transfer;
    expect(reused).toMatchObject({ __typename: 'IdempotencyError', code: 'idempotency_key_reused' });

    const burst = await Promise.all(
      Array.from({ length: 50 }, () =>
        t.graphql(m, TRANSFER, { input: { ...input, amount: '1' }, key: 'g-burst' }),
      ),
    );
    const results = burst.map((r) => r.body.data.transfer);
    const ok = results.filter((r) => r.__typename === 'Transfer');
    expect(ok.length).toBeGreaterThanOrEqual(1);
    expect(new Set(ok.map((r) => r.transactionId)).size).toBe(1);
    for (const r of results) if (r.__typename !== 'Transfer') expect(r.code).toBe('request_in_progress');
    expect(await balance(m, 'g')).toBe(96.5);
  });

  it('shares keys with REST: the same key and request replay across faces', async () => {
    const m = await t.merchant();
    await t.credit(m, 'x', '10');
    const r = await rest(m, 'cross', { fromUserId: 'x', toUserId: 'y', amount: 1 });
    const g = (
      await t.graphql(m, TRANSFER, { input: { fromUserId: 'x', toUserId: 'y', amount: '1' }, key: 'cross' })
    ).body.data.transfer;
    expect(g).toMatchObject({ transactionId: r.body.id, replayed: true });
    expect(await balance(m, 'x')).toBe(9);
  });
});

describe('idempotency records taken over', () => {
  it('keeps the outcome of a request retried after its stale claim outlived the TTL', async () => {
    // A deposit request whose server died mid-way left its claim in_progress; the client retries 50 hours
    // later (past IDEMPOTENCY_TTL_HOURS, 48), takes the claim over and completes it. A retry a second later
    // must replay that outcome, not run the request again.
    const m = await t.merchant();
    const scope = { merchantId: m.merchantId, mode: m.mode, key: 'stale-then-done' };
    const input = { userId: 'u', network: 'tron' };
    const hash = requestHash('deposit.create', input);
    await t.app.pool.query(
      `insert into idempotency_keys (merchant_id, mode, key, operation, request_hash, state, created_at, locked_at)
       values ($1, $2, $3, 'deposit.create', $4, 'in_progress', now() - interval '50 hours', now() - interval '50 hours')`,
      [scope.merchantId, scope.mode, scope.key, hash],
    );
    const idem = t.app.services.idempotency;
    expect(await idem.claim(scope, 'deposit.create', input)).toMatchObject({ kind: 'new' });
    const client = await t.app.pool.connect();
    try {
      await client.query('begin');
      await idem.complete(client, scope, { address: 'T-once' });
      await client.query('commit');
    } finally {
      client.release();
    }
    expect(await idem.claim(scope, 'deposit.create', input)).toEqual({
      kind: 'replay',
      result: { address: 'T-once' },
    });
  });
});

describe('a claim taken over by a retry', () => {
  it("lets the first request neither release nor complete the retry's claim", async () => {
    const m = await t.merchant();
    const scope = { merchantId: m.merchantId, mode: m.mode, key: 'stalled-then-retried' };
    const input = { userId: 'u', network: 'tron' };
    const idem = t.app.services.idempotency;
    const first = await idem.claim(scope, 'deposit.create', input);
    expect(first.kind).toBe('new');
    // The first request stalls past the lock timeout; its retry takes the key over.
    await t.app.pool.query(
      `update idempotency_keys set created_at = created_at - interval '1 hour', locked_at = locked_at - interval '1 hour'
       where merchant_id = $1 and mode = $2 and key = $3`,
      [scope.merchantId, scope.mode, scope.key],
    );
    const retry = await idem.claim(scope, 'deposit.create', input);
    expect(retry.kind).toBe('new');
    const tokenOf = (c: typeof first) => (c.kind === 'new' ? c.token : null);
    expect(tokenOf(retry)).not.toBe(tokenOf(first));

    // The first request fails and gives its claim back: the retry's stays.
    await idem.release(scope, tokenOf(first));
    const state = async () =>
      (
        await t.app.pool.query(
          'select state from idempotency_keys where merchant_id = $1 and mode = $2 and key = $3',
          [scope.merchantId, scope.mode, scope.key],
        )
      ).rows[0]?.state;
    expect(await state()).toBe('in_progress');
    // Or it completes late: refused (its transaction rolls back), and the retry's claim is untouched.
    await expect(
      inTransaction(t.app.pool, (c) => idem.complete(c, scope, { address: 'T-first' }, tokenOf(first))),
    ).rejects.toMatchObject({ code: 'request_in_progress' });
    expect(await state()).toBe('in_progress');
    // The retry completes its own claim, and that is what a later request with the key replays.
    await inTransaction(t.app.pool, (c) => idem.complete(c, scope, { address: 'T-retry' }, tokenOf(retry)));
    expect(await idem.claim(scope, 'deposit.create', input)).toEqual({
      kind: 'replay',
      result: { address: 'T-retry' },
    });
  });
});

describe('one key between a ledger batch and a standalone claim', () => {
  it('answers request_in_progress while the batch holds the key, and the batch record after it commits', async () => {
    const m = await t.merchant();
    const idem = t.app.services.idempotency;
    const scope = { merchantId: m.merchantId, mode: m.mode, key: 'shared-key' };
    const transfer = { scope, operation: 'ledger.transfer', hash: requestHash('ledger.transfer', { n: 1 }) };
    const client = await t.app.pool.connect();
    try {
      await client.query('begin');
      expect(await idem.claimWithin(client, [transfer])).toEqual(['won']);
      // The batch has written nothing yet; its key lock alone keeps the deposit claim out.
      await expect(idem.claim(scope, 'deposit.create', { userId: 'u' })).rejects.toMatchObject({
        code: 'request_in_progress',
      });
      await idem.recordWithin(client, [{ ...transfer, result: { ok: true } }]);
      await client.query('commit');
    } finally {
      client.release();
    }
    await expect(idem.claim(scope, 'deposit.create', { userId: 'u' })).rejects.toMatchObject({
      code: 'idempotency_key_reused',
    });
    const row = await t.app.pool.query(
      'select state, result, operation from idempotency_keys where merchant_id = $1 and key = $2',
      [m.merchantId, 'shared-key'],
    );
    expect(row.rows).toEqual([{ state: 'completed', result: { ok: true }, operation: 'ledger.transfer' }]);
  });
});
