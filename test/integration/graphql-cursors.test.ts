import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type TestMerchant, useTestApp } from '../helpers/app.js';
import { fuzzParams } from '../helpers/fuzz.js';

// Connection cursors are keyset cursors (schema/pagination.ts): a page is "the rows after this row", so rows
// that arrive while a client pages (a transfer, an event) shift nothing. With the old offset cursors, page 2
// after two new transfers repeated page 1, and paging backwards skipped rows.
const t = useTestApp();

type Edge = { cursor: string; node: { id: string } };
type Conn = {
  edges: Edge[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string; endCursor: string };
};

const PAGE = 'edges { cursor node { id } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor }';
const ARGS = '$first: Int, $after: String, $last: Int, $before: String';
const PASS = 'first: $first, after: $after, last: $last, before: $before';

/** The lists a merchant pages, each with a query and where its connection is in the answer. */
const LISTS = {
  user: {
    query: `query($id: ID!, ${ARGS}) { user(userId: $id) { transactions(${PASS}) { ${PAGE} } } }`,
    conn: (d: any) => d.user.transactions as Conn,
  },
  transactions: {
    query: `query(${ARGS}) { transactions(${PASS}) { ${PAGE} } }`,
    conn: (d: any) => d.transactions as Conn,
  },
  events: {
    query: `query(${ARGS}) { events(${PASS}) { ${PAGE} } }`,
    conn: (d: any) => d.events as Conn,
  },
} as const;
type List = keyof typeof LISTS;

async function page(m: TestMerchant, list: List, vars: Record<string, unknown>): Promise<Conn> {
  const r = await t.graphql(m, LISTS[list].query, { id: 'user_8a2f', ...vars });
  expect(r.body.errors).toBeUndefined();
  return LISTS[list].conn(r.body.data);
}

const ids = (c: Conn) => c.edges.map((e) => e.node.id);

async function transfer(m: TestMerchant, amount = '1.00') {
  const r = await t.graphql(
    m,
    `mutation($a: Decimal!) { transfer(input: {fromUserId: "user_3b1c", toUserId: "user_8a2f", amount: $a}) {
      __typename ... on Error { code message } } }`,
    { a: amount },
  );
  expect(r.body.data.transfer.__typename).toBe('Transfer');
}

/** A merchant whose user_8a2f has `n` history rows (transfers in from user_3b1c). */
async function merchantWith(n: number): Promise<TestMerchant> {
  const m = await t.merchant();
  await t.credit(m, 'user_3b1c', '100000');
  for (let i = 0; i < n; i++) await transfer(m, `${i + 1}.00`);
  return m;
}

async function gqlError(m: TestMerchant, query: string, vars: Record<string, unknown> = {}) {
  const r = await t.graphql(m, query, vars);
  expect(r.body.data?.transactions ?? r.body.data?.user?.transactions ?? null).toBeNull();
  const e = r.body.errors?.[0];
  return { code: e?.extensions?.code, param: e?.extensions?.param, message: e?.message as string };
}

describe('keyset cursors', () => {
  it("the newcomer's repro: new transfers between two pages neither repeat nor skip a row", async () => {
    const m = await merchantWith(6);
    const all = ids(await page(m, 'user', { first: 100 }));
    expect(all).toHaveLength(6);
    const p1 = await page(m, 'user', { first: 2 });
    expect(ids(p1)).toEqual(all.slice(0, 2));
    await transfer(m);
    await transfer(m);
    const p2 = await page(m, 'user', { first: 2, after: p1.pageInfo.endCursor });
    expect(ids(p2)).toEqual(all.slice(2, 4));
    expect(p2.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: true });

    // Backwards: the oldest two, then two new transfers, then the two before them.
    const tail = await page(m, 'user', { last: 2 });
    expect(ids(tail)).toEqual(all.slice(4, 6));
    expect(tail.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: true });
    await transfer(m);
    await transfer(m);
    const prev = await page(m, 'user', { last: 2, before: tail.pageInfo.startCursor });
    expect(ids(prev)).toEqual(all.slice(2, 4));
  });

  // A walk: a list, how many rows it starts with, and per page its size and how many transfers follow it.
  const walk = fc.tuple(
    fc.constantFrom<List>('user', 'transactions', 'events'),
    fc.integer({ min: 1, max: 7 }),
    fc.array(fc.record({ size: fc.integer({ min: 1, max: 4 }), inserts: fc.integer({ min: 0, max: 2 }) }), {
      minLength: 12,
      maxLength: 12,
    }),
  );
  const runs = { ...fuzzParams(), numRuns: Math.max(10, fuzzParams().numRuns ?? 0) };

  /** Pages through the whole list one way, with transfers between pages; the rows in list order. */
  async function pageThrough(
    backward: boolean,
    [list, n, steps]: [List, number, { size: number; inserts: number }[]],
  ) {
    const m = await merchantWith(n);
    const start = ids(await page(m, list, { first: 100 }));
    let seen: string[] = [];
    let cursor: string | null = null;
    for (const step of [...steps, ...Array(start.length + 30).fill({ size: 4, inserts: 0 })]) {
      const p = await page(
        m,
        list,
        backward ? { last: step.size, before: cursor } : { first: step.size, after: cursor },
      );
      seen = backward ? [...ids(p), ...seen] : [...seen, ...ids(p)];
      // The side a walk comes from: more rows there exactly when it gave a cursor.
      expect(backward ? p.pageInfo.hasNextPage : p.pageInfo.hasPreviousPage).toBe(cursor !== null);
      if (!(backward ? p.pageInfo.hasPreviousPage : p.pageInfo.hasNextPage)) break;
      cursor = backward ? p.pageInfo.startCursor : p.pageInfo.endCursor;
      // Rows arrive between two pages: newest, so ahead of a backward walk and behind a forward one.
      for (let i = 0; i < step.inserts; i++) await transfer(m);
    }
    return { start, seen, now: ids(await page(m, list, { first: 100 })) };
  }

  it('pages forwards through exactly the rows there were, whatever arrives meanwhile (property)', async () => {
    await fc.assert(
      fc.asyncProperty(walk, async (w) => {
        const { start, seen } = await pageThrough(false, w);
        // The pages, in order, are exactly the rows there were: none twice, none missing, nothing new.
        expect(seen).toEqual(start);
      }),
      runs,
    );
  });

  it('pages backwards through every row there was, once, then the rows that arrived (property)', async () => {
    await fc.assert(
      fc.asyncProperty(walk, async (w) => {
        const { start, seen, now } = await pageThrough(true, w);
        expect(new Set(seen).size).toBe(seen.length);
        // Oldest first, the rows there were, in order; newer than them, the rows that arrived meanwhile.
        expect(seen.slice(seen.length - start.length)).toEqual(start);
        expect(seen).toEqual(now);
      }),
      runs,
    );
  });
});

describe('keys within one millisecond', () => {
  it('pages rows a microsecond apart, and rows of one instant by id, one at a time both ways', async () => {
    const m = await merchantWith(6);
    // Three instants within one millisecond (a JavaScript Date would round them together), two rows each.
    await t.app.pool.query(
      `with x as (select id, ntile(3) over (order by id) as k from ledger_transactions where merchant_id = $1)
       update ledger_transactions l set created_at = '2026-01-01T00:00:00.000Z'::timestamptz + x.k * interval '1 microsecond'
       from x where l.id = x.id`,
      [m.merchantId],
    );
    await t.app.pool.query(
      `with x as (select id, ntile(3) over (order by id) as k from events where merchant_id = $1)
       update events e set created_at = '2026-01-01T00:00:00.000Z'::timestamptz + x.k * interval '1 microsecond'
       from x where e.id = x.id`,
      [m.merchantId],
    );
    for (const list of ['transactions', 'events'] as const) {
      const all = ids(await page(m, list, { first: 100 }));
      expect(all.length).toBeGreaterThanOrEqual(6);
      const forward: string[] = [];
      const backward: string[] = [];
      let after: string | null = null;
      let before: string | null = null;
      for (let i = 0; i < all.length; i++) {
        const f = await page(m, list, { first: 1, after });
        const b = await page(m, list, { last: 1, before });
        forward.push(...ids(f));
        backward.unshift(...ids(b));
        after = f.pageInfo.endCursor;
        before = b.pageInfo.startCursor;
        expect([f.pageInfo.hasNextPage, b.pageInfo.hasPreviousPage]).toEqual([
          i < all.length - 1,
          i < all.length - 1,
        ]);
      }
      expect({ list, forward, backward }).toEqual({ list, forward: all, backward: all });
    }
  });
});

describe('cursors that are not this list’s', () => {
  const Q = LISTS.transactions.query;
  const offsetCursor = (n: number) => Buffer.from(`OffsetConnection:${n}`).toString('base64');
  const retag = (cursor: string, k: unknown) => {
    const c = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    return Buffer.from(JSON.stringify({ ...c, k })).toString('base64url');
  };

  it('are an invalid_request error naming the argument, never internal_error and never rows', async () => {
    const m = await merchantWith(3);
    const other = await merchantWith(3);
    const mine = (await page(m, 'transactions', { first: 1 })).pageInfo.endCursor;
    const theirs = (await page(other, 'transactions', { first: 1 })).pageInfo.endCursor;
    const event = (await page(m, 'events', { first: 1 })).pageInfo.endCursor;
    const userRow = (await page(m, 'user', { first: 1 })).pageInfo.endCursor;
    const garbage: [string, RegExp][] = [
      ['nope', /not a cursor this API returned/],
      ['', /./],
      ['%%%', /not a cursor this API returned/],
      [offsetCursor(1), /offset cursor.*Start paging again/],
      [offsetCursor(999_999_999), /offset cursor/],
      [theirs, /another list/],
      [event, /another list/],
      [userRow, /another list/],
      [retag(mine, ['2026-02-30T00:00:00.000000Z', 'tx_x']), /not a cursor of this list/],
      // A JavaScript Date takes year 0, PostgreSQL has none (it answered internal_error).
      [retag(mine, ['0000-01-01T00:00:00.000000Z', 'tx_x']), /not a cursor of this list/],
      [retag(mine, ['0000-12-31T23:59:59.999999Z', 'tx_x']), /not a cursor of this list/],
      [retag(mine, ['2026-01-01T00:00:00.000000Z', 'x\u0000y']), /not a cursor of this list/],
      [retag(mine, ['1']), /not a cursor of this list/],
      [retag(mine, [1, 2]), /not a cursor this API returned/],
      [retag(mine, []), /not a cursor this API returned/],
      [Buffer.from('{"v":1,"l":"x","k":["a"]}').toString('base64url'), /another list/],
      ['x'.repeat(5000), /not a cursor this API returned/],
    ];
    for (const [cursor, message] of garbage) {
      for (const param of ['after', 'before'] as const) {
        if (cursor === '') continue; // an empty cursor is no cursor: the first page
        const e = await gqlError(m, Q, { first: 2, [param]: cursor });
        expect({ cursor, ...e, message: message.test(e.message) }).toEqual({
          cursor,
          code: 'invalid_request',
          param,
          message: true,
        });
      }
    }
    // A user's cursor on another user of the same merchant.
    const u = LISTS.user.query;
    const r = await t.graphql(m, u, { id: 'user_3b1c', first: 1, after: userRow });
    expect([r.body.errors?.[0]?.extensions?.code, r.body.errors?.[0]?.extensions?.param]).toEqual([
      'invalid_request',
      'after',
    ]);
    // Its own cursor, over HTTP: the status of a bad request.
    const ok = await t.graphql(m, Q, { first: 2, after: mine });
    expect([ok.status, ok.body.errors, ok.body.data.transactions.edges.length]).toEqual([200, undefined, 2]);
  });

  it('every list’s SQL takes a key window in both directions (a smoke test of each list’s columns)', async () => {
    const s = t.app.services;
    const time = '2026-01-01T00:00:00.123456Z';
    for (const backward of [false, true]) {
      const w = { limit: 3, after: [time, 'zz'], before: ['2000-01-01T00:00:00.000000Z', 'a'], backward };
      const all = { merchantId: null, mode: null };
      await s.admin.reads.deposits({ ...all, ...w });
      await s.admin.reads.events({ ...all, ...w });
      await s.admin.reads.endpoints({ ...all, ...w });
      await s.admin.reads.deliveries({
        ...all,
        ...w,
        after: [time, 'evt_x', 'whe_x'],
        before: [time, 'a', 'a'],
      });
      await s.withdrawals.list(all, w);
      await s.admin.unexpected.list({ ...w, after: [time, '5'], before: [time, '1'] });
      const tenant = { merchantId: 'mer_x', mode: 'test' as const };
      await s.ledger.history.merchantHistory(tenant.merchantId, tenant.mode, w);
      await s.ledger.history.userHistory(tenant.merchantId, tenant.mode, 'u', {
        ...w,
        after: ['9'],
        before: ['1'],
      });
    }
  });
});
