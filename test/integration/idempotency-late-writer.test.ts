import { describe, expect, it } from 'vitest';
import { inTransaction } from '../../src/db/database.js';
import { requestHash } from '../../src/modules/idempotency/index.js';
import { useTestApp } from '../helpers/app.js';

// Can a late writer overwrite the answer a key's winner stored? Records are written two ways:
// - a ledger batch writes its won keys' records with `recordCompleted`, an upsert with no condition. It may: the
//   batch's claim is the key's transaction-scoped advisory lock (claimWithin), held from the claim to its
//   commit, and never stale: no timeout ends it, and every other claim of the key (another batch, a standalone
//   claim, the purge of a dead claim) tries that lock first and finds the key busy. A batch that stalls is still
//   the claim holder when it writes; if its connection dies, its transaction and the claim go together.
//   (idempotency.test.ts "one key between a ledger batch and a standalone claim" and
//   idempotency-claim-race.test.ts pin the lock against standalone claims and other batches.)
// - a standalone claim (deposits, approving a withdrawal) is a row, which a retry of the same request may take
//   over once its lock timeout passed; complete() then only completes its own claim (token) or fails. But it
//   took no advisory lock, so a ledger batch taking over a stale claim of the same request, between its read and
//   its write, could see the claim completed late and then overwrite that completed answer: both requests'
//   work committed, one answer lost. No operation is claimed both ways today (the request hash includes the
//   operation), so this was latent; complete() now takes the key's advisory lock like every other writer.

const t = useTestApp();

const ago = (scope: { merchantId: string; mode: string; key: string }) =>
  t.app.pool.query(
    // locked_at only: created_at is the claim's token, which a stalled request keeps.
    `update idempotency_keys set locked_at = locked_at - interval '1 hour'
     where merchant_id = $1 and mode = $2 and key = $3`,
    [scope.merchantId, scope.mode, scope.key],
  );

const recordOf = async (scope: { merchantId: string; mode: string; key: string }) =>
  (
    await t.app.pool.query(
      'select state, result from idempotency_keys where merchant_id = $1 and mode = $2 and key = $3',
      [scope.merchantId, scope.mode, scope.key],
    )
  ).rows;

describe('a late writer of an idempotency record', () => {
  it('cannot complete a stale standalone claim a ledger batch took over, before or after the batch wrote', async () => {
    const m = await t.merchant();
    const idem = t.app.services.idempotency;
    const scope = { merchantId: m.merchantId, mode: m.mode, key: 'stale-standalone' };
    const input = { n: 2 };
    const item = { scope, operation: 'both.ways', hash: requestHash('both.ways', input) };
    const first = await idem.claim(scope, 'both.ways', input);
    if (first.kind !== 'new') throw new Error('the first claim must win');
    await ago(scope); // the first request stalls past its lock timeout
    const batch = await t.app.pool.connect();
    try {
      await batch.query('begin');
      expect(await idem.claimWithin(batch, [item])).toEqual(['won']);
      // The stalled request wakes up and completes its claim while the batch runs: refused, so its
      // transaction (its work) rolls back; the client gets request_in_progress and its retry replays.
      await expect(
        inTransaction(t.app.pool, (c) => idem.complete(c, scope, { by: 'late' }, first.token)),
      ).rejects.toMatchObject({ code: 'request_in_progress' });
      await idem.recordWithin(batch, [{ ...item, result: { by: 'batch' } }]);
      await batch.query('commit');
    } finally {
      batch.release();
    }
    // Or it wakes up after the batch committed: refused as well.
    await expect(
      inTransaction(t.app.pool, (c) => idem.complete(c, scope, { by: 'later' }, first.token)),
    ).rejects.toMatchObject({ code: 'request_in_progress' });
    expect(await recordOf(scope)).toEqual([{ state: 'completed', result: { by: 'batch' } }]);
    expect(await idem.claim(scope, 'both.ways', input)).toEqual({ kind: 'replay', result: { by: 'batch' } });
  });
});
