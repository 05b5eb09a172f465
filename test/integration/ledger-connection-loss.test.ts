import pg from 'pg';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { useTestApp } from '../helpers/app.js';
import { databaseUrl } from '../helpers/db.js';
import { checkLedgerInvariants } from '../helpers/invariants.js';

// The ledger's connections end under it (pg_terminate_backend, as in a failover or an operator's kill) while
// transfers are in flight: a batch's connection can end between any two of its statements (BEGIN, claims,
// lock, write, COMMIT), or after COMMIT ran and before its answer, and a checked-out connection between two
// queries. Whatever the moment, the process stays up, an answer of 200 is a committed transfer, any other
// answer hides no committed change, and the same request retried with its key is applied exactly once.

const t = useTestApp();
const admin = new pg.Client({ connectionString: databaseUrl('postgres') });

afterAll(async () => {
  await admin.end();
});

const PAYERS = 12;
const TRANSFERS = 240;
const KILLS = 6;

/** Ends every backend of the app's database now; the number ended. */
async function killBackends(dbName: string): Promise<number> {
  const r = await admin.query(
    'select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()',
    [dbName],
  );
  return r.rowCount ?? 0;
}

describe('ledger connections ended mid-batch', () => {
  it('answers 200 only for committed transfers, commits nothing behind any other answer, and retries apply once', async () => {
    await admin.connect();
    // Nothing of ours prints on stdout when its connections end: knex (under MikroORM) printed a
    // `Connection Error: …` line with console.log for each pooled connection that ended; it goes to our log.
    const printed = vi.spyOn(console, 'log');
    const m = await t.merchant();
    for (let i = 0; i < PAYERS; i++) await t.credit(m, `payer_${i}`, '1000.00');
    const requests = Array.from({ length: TRANSFERS }, (_, i) => ({
      key: `loss-${i}`,
      body: {
        fromUserId: `payer_${i % PAYERS}`,
        toUserId: `payee_${(i * 7) % PAYERS}`,
        amount: `${1 + (i % 5)}.25`,
        description: `loss test ${i}`,
      },
    }));
    const send = (r: (typeof requests)[number]) =>
      t.request({ url: '/api/v1/transfer', as: m, body: r.body, headers: { 'idempotency-key': r.key } });

    let answered = 0;
    const inFlight = requests.map((r) =>
      send(r).then((res) => {
        answered += 1;
        return res;
      }),
    );
    // Kill the backends KILLS times while the transfers run, each time after some of them were answered.
    let kills = 0;
    let lastAt = -1;
    while (kills < KILLS && answered < TRANSFERS) {
      if (answered > lastAt && (await killBackends(t.dbName)) > 0) {
        kills += 1;
        lastAt = answered + Math.floor(TRANSFERS / (2 * KILLS));
      }
      await new Promise((r) => setImmediate(r));
    }
    const first = await Promise.all(inFlight);

    const statuses = first.map((r) => r.status);
    expect(statuses.every((s) => s === 200 || s === 500 || s === 503)).toBe(true);
    const ok = first.filter((r) => r.status === 200);
    const failed = requests.filter((_, i) => first[i]!.status !== 200);
    // Nothing of a refused transfer was committed: no transaction carries its description.
    const leaked = await t.app.pool.query(
      'select description from ledger_transactions where merchant_id = $1 and description = any($2::text[])',
      [m.merchantId, failed.map((r) => r.body.description)],
    );
    expect(leaked.rows).toEqual([]);
    await checkLedgerInvariants(t.app.pool, {
      merchantId: m.merchantId,
      acknowledged: ok.map((r) => r.body.id as string),
    });

    // Every request again with its key: the refused ones apply now, the others replay their answer.
    const again = await Promise.all(requests.map(send));
    expect(again.map((r) => r.status)).toEqual(requests.map(() => 200));
    first.forEach((r, i) => {
      if (r.status !== 200) return;
      expect(again[i]!.headers['idempotent-replayed']).toBe('true');
      expect(again[i]!.body.id).toBe(r.body.id);
    });
    const counts = await t.app.pool.query(
      `select description, count(*)::int as n from ledger_transactions
       where merchant_id = $1 and description like 'loss test %' group by description`,
      [m.merchantId],
    );
    expect(counts.rows.length).toBe(TRANSFERS);
    expect(counts.rows.every((r) => r.n === 1)).toBe(true);
    await checkLedgerInvariants(t.app.pool, {
      merchantId: m.merchantId,
      acknowledged: again.map((r) => r.body.id as string),
    });
    expect(kills).toBeGreaterThan(0);
    expect(printed.mock.calls.map((c) => String(c[0])).filter((l) => l.includes('Connection Error'))).toEqual(
      [],
    );
    printed.mockRestore();
  });
});
