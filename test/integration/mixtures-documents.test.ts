import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { useTestApp } from '../helpers/app.js';
import { fuzzParams } from '../helpers/fuzz.js';
import { checkLedgerInvariants } from '../helpers/invariants.js';
import {
  CODES,
  graphqlOutcome,
  ledgerSnapshot,
  mutationText,
  overSocket,
  TRANSFER,
  wsUrlOf,
} from '../helpers/mixtures.js';
import { badTransfer, transferText } from '../helpers/mixtures-values.js';
import { keyInit, rawSocket } from '../helpers/ws.js';

// GraphQL documents with several transfer fields, some given bad input, over HTTP and the WebSocket. The
// rule (GraphQL's own): a variable that does not coerce refuses the whole operation before anything runs;
// otherwise the fields run one after another, each on its own: a refusal is that field's union member and the
// others commit. So every field answered with a Transfer moved exactly its amount, nothing else moved, and
// the balances after are those before plus the successes, in order. A key given to two fields is one
// request: the second replays the first (same input) or is idempotency_key_reused. Array batching is not
// offered: an array body is refused whole.
const t = useTestApp();
const POOL = ['md_a', 'md_b', 'md_c'];

interface Field {
  text: string;
  good: { from: string; to: string; cents: number } | null;
  key: string | null;
}

const goodField = fc
  .record({
    from: fc.constantFrom(...POOL),
    to: fc.constantFrom(...POOL),
    cents: fc.integer({ min: 1, max: 900 }),
  })
  .filter((g) => g.from !== g.to)
  .map((g) => ({ text: transferText(g.from, g.to, g.cents), good: g }));
const field = fc
  .record({
    body: fc.oneof(
      { weight: 2, arbitrary: goodField },
      badTransfer(POOL).map((text) => ({ text, good: null })),
    ),
    key: fc.constantFrom(null, 'fresh', 'shared'),
  })
  .map(({ body, key }) => ({ ...body, key }));

async function sendDocument(
  m: Awaited<ReturnType<typeof t.merchant>>,
  fields: Field[],
  door: 'http' | 'ws',
  n: number,
) {
  const vars = fields.map(
    (f, i) =>
      `"i${i}":${f.text},"k${i}":${f.key === null ? 'null' : JSON.stringify(`${f.key}-${n}-${f.key === 'fresh' ? i : 0}`)}`,
  );
  const payload = `{"query":${JSON.stringify(mutationText(TRANSFER, fields.length))},"variables":{${vars.join(',')}}}`;
  if (door === 'http') {
    const res = await t.request({ method: 'POST', url: '/graphql', as: m, rawBody: payload });
    expect(res.status, res.text).toBeLessThan(500);
    return res.body;
  }
  const s = await rawSocket(await wsUrlOf(t), keyInit(m));
  try {
    return await overSocket(s, 'doc', payload);
  } finally {
    s.close();
  }
}

describe('documents with several money-moving fields, some bad', () => {
  it('run each field on its own, or none when a variable does not coerce', { timeout: 60_000 }, async () => {
    const m = await t.merchant();
    for (const u of POOL) await t.credit(m, u, '100000');
    let n = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(field, { minLength: 2, maxLength: 5 }),
        fc.constantFrom<'http' | 'ws'>('http', 'ws'),
        async (fields, door) => {
          const before = await ledgerSnapshot(t.app.pool, m.merchantId);
          const body = await sendDocument(m, fields, door, n++);
          for (const e of body?.errors ?? []) {
            expect(CODES, JSON.stringify(e)).toContain(e.extensions?.code);
            expect(e.extensions.code).not.toBe('internal_error');
          }
          const expected = { ...before.balances };
          const ids = new Set<string>();
          const byKey = new Map<string, { text: string; id: string | null }>();
          fields.forEach((f, i) => {
            const o = graphqlOutcome(200, body, `r${i}`);
            const what = `${f.text} → ${JSON.stringify(body)}`;
            if (!body?.data) return; // refused whole
            if (!f.good) expect(o.ok, what).toBe(false);
            const key = f.key === 'shared' ? 'shared' : null;
            const earlier = key ? byKey.get(key) : undefined;
            if (earlier?.text === f.text && earlier.id) {
              expect(o, what).toMatchObject({ ok: true, id: earlier.id, replayed: true });
              return;
            }
            if (earlier && earlier.text !== f.text && o.ok === false) {
              // Another request under a key a field before it used: refused, unless its input was refused first.
              if (f.good) expect(o.code, what).toBe('idempotency_key_reused');
            }
            if (!o.ok) return;
            expect(o.replayed, what).toBe(false);
            ids.add(o.id);
            if (key && !earlier) byKey.set(key, { text: f.text, id: o.id });
            const g = f.good!;
            expected[`test:user:${g.from}`] = String(
              BigInt(expected[`test:user:${g.from}`] ?? '0') - BigInt(g.cents),
            );
            expected[`test:user:${g.to}`] = String(
              BigInt(expected[`test:user:${g.to}`] ?? '0') + BigInt(g.cents),
            );
          });
          const after = await ledgerSnapshot(t.app.pool, m.merchantId);
          expect(after.balances).toEqual(expected);
          expect(after.counts!.tx - before.counts!.tx).toBe(ids.size);
          expect(after.total).toBe('0');
        },
      ),
      { ...fuzzParams(), numRuns: Number(process.env.MX_RUNS ?? 20) },
    );
    await checkLedgerInvariants(t.app.pool, { merchantId: m.merchantId });
  });

  it('refuses an array of operations, or any body that is not an object, with a 400 saying so, moving nothing', async () => {
    const m = await t.merchant();
    await t.credit(m, 'md_a', '10');
    const before = await ledgerSnapshot(t.app.pool, m.merchantId);
    const op = (cents: number, key: string) =>
      `{"query":${JSON.stringify(mutationText(TRANSFER))},"variables":{"i0":${transferText('md_a', 'md_b', cents)},"k0":"${key}"}}`;
    const bodies = [
      `[${op(100, 'arr-1')},${op(200, 'arr-2')}]`,
      `[${op(100, 'arr-3')}]`,
      '[]',
      '5',
      '"x"',
      'null',
      'true',
    ];
    for (const rawBody of bodies) {
      for (const accept of ['application/json', 'application/graphql-response+json']) {
        const res = await t.request({ method: 'POST', url: '/graphql', as: m, rawBody, headers: { accept } });
        const what = `${rawBody} (${accept}) → ${res.status} ${res.text}`;
        // A body that is not a GraphQL request at all is a 400 whatever the Accept (as text that is not JSON is),
        // in the documented shape (with the request id), and does not call valid JSON "invalid JSON".
        expect(res.status, what).toBe(400);
        const [error] = res.body.errors;
        expect(error.extensions, what).toMatchObject({
          code: 'invalid_request',
          requestId: expect.any(String),
        });
        expect(error.message, what).not.toMatch(/invalid JSON/i);
      }
    }
    expect(await ledgerSnapshot(t.app.pool, m.merchantId)).toEqual(before);
  });
});
