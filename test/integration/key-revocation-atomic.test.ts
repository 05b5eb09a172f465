import { afterEach, describe, expect, it } from 'vitest';
import { useTestApp } from '../helpers/app.js';
import { refuseWrites, stopRefusing } from '../helpers/refuse-writes.js';

// Revoking or rotating an API key is one change or none. Revoking wrote the key's revoked_at and then, in a
// second commit, its id on the revoked tokens' list (which ends the browser tokens it minted); rotating created
// the new key, moved the webhook endpoints' body signing to it and retired the old one, in three commits. A
// failure in between (PostgreSQL gone for a moment) answered an error over a change already made: a revoked key
// whose leaked tokens still worked, or a new active key whose secret nobody was shown. PostgreSQL's own refusal
// (a trigger raising on the later write) stands in for the failure here.

const t = useTestApp();

const failWrites = (table: string, when: string) => refuseWrites(t.app.pool, table, when);
afterEach(() => stopRefusing(t.app.pool, 'revoked_tokens', 'api_keys'));

const keyRow = async (id: string) =>
  (await t.app.pool.query<{ revoked_at: Date | null }>('select revoked_at from api_keys where id = $1', [id]))
    .rows[0];
const keysOf = async (merchantId: string) =>
  (
    await t.app.pool.query<{ id: string }>('select id from api_keys where merchant_id = $1', [merchantId])
  ).rows
    .map((r) => r.id)
    .sort();

describe('an API key', () => {
  it('stays active when its revocation cannot record the end of its tokens', async () => {
    const m = await t.merchant();
    await failWrites('revoked_tokens', `new.jti = '${m.keyId}'`);
    await expect(t.app.services.merchants.revokeKey(m.keyId)).rejects.toThrow(/refused by the test/);
    expect((await keyRow(m.keyId))?.revoked_at).toBeNull();
    expect((await t.graphql(m, '{ __typename }')).status).toBe(200);

    await t.app.pool.query('drop trigger test_refuse on revoked_tokens');
    await t.app.services.merchants.revokeKey(m.keyId);
    expect((await keyRow(m.keyId))?.revoked_at).toBeInstanceOf(Date);
    await t.app.services.tokens.refreshRevocations();
    expect(await t.app.services.tokens.isRevoked(m.keyId)).toBe(true);
    expect((await t.graphql(m, '{ __typename }')).status).toBe(401);
  });

  it('leaves no end of its tokens on record when the revocation fails at its commit', async () => {
    const m = await t.merchant();
    await failWrites('api_keys', 'false'); // creates the function; the deferred trigger below is what fails
    await t.app.pool.query('drop trigger test_refuse on api_keys');
    await t.app.pool.query(
      `create constraint trigger test_refuse_commit after update on api_keys deferrable initially deferred
       for each row when (new.id = '${m.keyId}') execute function test_refuse()`,
    );
    try {
      await expect(t.app.services.merchants.revokeKey(m.keyId)).rejects.toThrow(/refused by the test/);
    } finally {
      await t.app.pool.query('drop trigger test_refuse_commit on api_keys');
    }
    expect((await keyRow(m.keyId))?.revoked_at).toBeNull();
    const recorded = await t.app.pool.query('select 1 from revoked_tokens where jti = $1', [m.keyId]);
    expect(recorded.rowCount).toBe(0);
  });

  it('is rotated whole or not at all: no new key when the old one cannot be retired', async () => {
    const m = await t.merchant();
    const before = await keysOf(m.merchantId);
    await failWrites('api_keys', `new.id = '${m.keyId}' and new.revoked_at is not null`);
    await expect(t.app.services.merchants.rotateKey(m.keyId)).rejects.toThrow(/refused by the test/);
    expect(await keysOf(m.merchantId)).toEqual(before);
    expect((await keyRow(m.keyId))?.revoked_at).toBeNull();
    expect((await t.graphql(m, '{ __typename }')).status).toBe(200);

    await t.app.pool.query('drop trigger test_refuse on api_keys');
    const rotated = await t.app.services.merchants.rotateKey(m.keyId);
    expect(await keysOf(m.merchantId)).toEqual([...before, rotated.keyId].sort());
    expect((await t.graphql(m, '{ __typename }')).status).toBe(401);
    expect((await t.graphql({ ...m, ...rotated }, '{ __typename }')).status).toBe(200);
  });
});
