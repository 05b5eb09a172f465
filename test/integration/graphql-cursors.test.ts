import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { newId } from '../../src/lib/ids.js';
import { insertEvents } from '../../src/modules/events/index.js';
import { type TestMerchant, useTestApp } from '../helpers/app.js';
import { fuzzParams } from '../helpers/fuzz.js';
import { untilListable } from '../helpers/outbox.js';

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

/** One page as the list has it now. */
async function read(m: TestMerchant, list: List, vars: Record<string, unknown>): Promise<Conn> {
  const r = await t.graphql(m, LISTS[list].query, { id: 'user_8a2f', ...vars });
  expect(r.body.errors).toBeUndefined();
  return LISTS[list].conn(r.body.data);
}

/** One page once every write so far is listable (events wait for transactions anywhere on the server). */
async function page(m: TestMerchant, list: List, vars: Record<string, unknown>): Promise<Conn> {
  if (list === 'events') await untilListable(t.app.pool);
  return read(m, list, vars);
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
    // Three instants within one millisecond (a JavaScript Date would round them together), two rows each
    // (events: of one transaction, as the rows from before the list's transaction key, so time orders them).
    await t.app.pool.query(
      `with x as (select id, ntile(3) over (order by id) as k from ledger_transactions where merchant_id = $1)
       update ledger_transactions l set created_at = '2026-01-01T00:00:00.000Z'::timestamptz + x.k * interval '1 microsecond'
       from x where l.id = x.id`,
      [m.merchantId],
    );
    await t.app.pool.query(
      `with x as (select id, ntile(3) over (order by id) as k from events where merchant_id = $1)
       update events e set created_at = '2026-01-01T00:00:00.000Z'::timestamptz + x.k * interval '1 microsecond',
                           txid = '0'
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

  it('events: a cursor from before commit order, or naming no event, is invalid_request', async () => {
    const m = await merchantWith(1);
    const mine = (await page(m, 'events', { first: 1 })).pageInfo.endCursor;
    const [xid, time, id] = JSON.parse(Buffer.from(mine, 'base64url').toString('utf8')).k as [
      string,
      string,
      string,
    ];
    expect([xid, time, id]).toEqual([
      expect.stringMatching(/^[1-9]\d*$/),
      expect.any(String),
      expect.any(String),
    ]);
    // A cursor as this list gave out when it was ordered by (created_at, id): its tag, its key.
    const oldTag = (list: string) =>
      createHash('sha256')
        .update(JSON.stringify([list, m.merchantId, m.mode]))
        .digest('base64url')
        .slice(0, 16);
    const cursor = (l: string, k: unknown) =>
      Buffer.from(JSON.stringify({ v: 1, l, k })).toString('base64url');
    const garbage: [string, RegExp][] = [
      [cursor(oldTag('events'), [time, id]), /from before its order changed.*Start paging again without/],
      [retag(mine, [time, id]), /not a cursor of this list/],
      [retag(mine, ['18446744073709551616', time, id]), /not a cursor of this list/],
      [retag(mine, ['-1', time, id]), /not a cursor of this list/],
      [retag(mine, ['01', time, id]), /not a cursor of this list/],
      [retag(mine, [xid, 'x', id]), /not a cursor of this list/],
    ];
    for (const [c, message] of garbage) {
      for (const param of ['after', 'before'] as const) {
        const r = await t.graphql(m, LISTS.events.query, { first: 2, [param]: c });
        const e = r.body.errors?.[0];
        expect(r.body.data?.events ?? null).toBeNull();
        expect({
          c,
          code: e?.extensions?.code,
          param: e?.extensions?.param,
          ok: message.test(e?.message),
        }).toEqual({
          c,
          code: 'invalid_request',
          param,
          ok: true,
        });
      }
    }
    // Well formed, but no event has that key: a cursor of another database (one restored from a dump, its
    // transaction ids another server's), or edited by hand.
    const next = (v: string) => (BigInt(v) + 1n).toString();
    const tail = id.slice(0, -1) + (id.endsWith('0') ? '1' : '0');
    for (const k of [
      ['9999999999999999999', time, id],
      [next(xid), time, id],
      ['0', time, id],
      [xid, time.replace(/\d{6}Z$/, time.endsWith('000000Z') ? '000001Z' : '000000Z'), id],
      [xid, time, tail],
    ]) {
      for (const param of ['after', 'before'] as const) {
        const r = await t.graphql(m, LISTS.events.query, { first: 2, [param]: retag(mine, k) });
        expect([k, r.body.data?.events ?? null, r.body.errors?.[0]?.extensions]).toEqual([
          k,
          null,
          expect.objectContaining({ code: 'invalid_request', param }),
        ]);
        expect(r.body.errors[0].message).toMatch(/names no event of this list.*Start paging again/);
      }
    }
    // Its own cursor, rebuilt from its key, is fine (the key is the place).
    const own = await t.graphql(m, LISTS.events.query, { last: 2, before: retag(mine, [xid, time, id]) });
    expect(own.body.errors).toBeUndefined();
  });

  it('every list’s SQL takes a key window in both directions (a smoke test of each list’s columns)', async () => {
    const s = t.app.services;
    const time = '2026-01-01T00:00:00.123456Z';
    // The events list takes only a cursor naming an event: two real ones.
    await merchantWith(1);
    const [a, b] = (
      await t.app.pool.query<{ k: string[] }>(
        `select array[txid::text, to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), id] as k
         from events order by txid, created_at, id limit 2`,
      )
    ).rows.map((r) => r.k);
    for (const backward of [false, true]) {
      const w = { limit: 3, after: [time, 'zz'], before: ['2000-01-01T00:00:00.000000Z', 'a'], backward };
      const all = { merchantId: null, mode: null };
      await s.admin.reads.deposits({ ...all, ...w });
      await s.admin.reads.events({ ...all, ...w, after: b!, before: a! });
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

// The outbox gap: a transaction that wrote its event early and commits late must not land behind a client
// that already walked to the newest end. Ordered by created_at (before), such an event was older than the
// client's cursor and no walk towards the newest ever listed it: lost to a catch-up client for good.
describe('a catch-up walk towards the newest events', () => {
  type Walk = { seen: string[]; cursor: string | null };
  const START: Walk = { seen: [], cursor: null };

  /**
   * A catch-up client: from where it stopped (no cursor: the oldest event), pages `last`/`before` towards the
   * newest until nothing newer is listed. Every id it got, oldest first, and its newest cursor.
   */
  async function catchUp(m: TestMerchant, from: Walk, size = 2): Promise<Walk> {
    const walk = { seen: [...from.seen], cursor: from.cursor };
    for (;;) {
      const p = await read(m, 'events', { last: size, before: walk.cursor });
      walk.seen.push(...ids(p).reverse());
      if (p.edges.length) walk.cursor = p.pageInfo.startCursor;
      if (!p.pageInfo.hasPreviousPage) return walk;
    }
  }

  /** An event written on a connection of its own, in a transaction held open until `end`. */
  async function openWriter(m: TestMerchant) {
    const c = await t.app.pool.connect();
    const id = newId('evt');
    try {
      await c.query('begin');
      await insertEvents(c, [
        {
          id,
          type: 'balance.adjusted',
          merchantId: m.merchantId,
          mode: m.mode,
          data: {},
          createdAt: new Date(),
        },
      ]);
    } catch (err) {
      c.release(err as Error);
      throw err;
    }
    let open = true;
    return {
      id,
      end: async (commit: boolean) => {
        if (!open) return;
        open = false;
        try {
          await c.query(commit ? 'commit' : 'rollback');
        } finally {
          c.release();
        }
      },
    };
  }

  const eventIds = async (m: TestMerchant) =>
    (
      await t.app.pool.query<{ id: string }>('select id from events where merchant_id = $1 order by id', [
        m.merchantId,
      ])
    ).rows.map((r) => r.id);

  it('lists an event whose transaction commits after the walk reached the newest end', async () => {
    const m = await merchantWith(2);
    await untilListable(t.app.pool);
    let walk = await catchUp(m, START);
    expect(walk.seen.toSorted()).toEqual(await eventIds(m));

    // A slow operation writes its event, and a later transfer commits its own while the first is open.
    const slow = await openWriter(m);
    try {
      await transfer(m);
      walk = await catchUp(m, walk);
      await slow.end(true);
    } finally {
      await slow.end(false);
    }
    // The client keeps polling from its newest cursor: the slow event is there, and nothing twice.
    await untilListable(t.app.pool);
    walk = await catchUp(m, walk);
    expect(walk.seen).toContain(slow.id);
    expect(walk.seen.toSorted()).toEqual(await eventIds(m));
  });

  it('holds back events newer than a transaction still open, and lists them all once it ends', async () => {
    const m = await merchantWith(1);
    await untilListable(t.app.pool);
    const before = ids(await read(m, 'events', { first: 100 }));
    const slow = await openWriter(m);
    try {
      await transfer(m);
      // The transfer's event committed, but an older transaction is open: neither is listed, nor counted.
      const r = await t.graphql(m, '{ events(first: 100) { totalCount edges { node { id } } } }');
      expect(r.body.data.events).toMatchObject({ totalCount: before.length });
      expect(r.body.data.events.edges.map((e: Edge) => e.node.id)).toEqual(before);
      await slow.end(true);
    } finally {
      await slow.end(false);
    }
    await untilListable(t.app.pool);
    const after = ids(await read(m, 'events', { first: 100 }));
    expect(after).toHaveLength(before.length + 2);
    // The slow event is newer in the list than every event listed before it committed.
    expect(after.slice(2)).toEqual(before);
    expect(after.slice(0, 2)).toContain(slow.id);
  });

  // Writers that open, write one event and end (commit or roll back) in any order, with the client's pages
  // between: every committed event is listed exactly once to a client that keeps walking towards the newest.
  const step = fc.oneof(
    fc.record({ op: fc.constant('open' as const) }),
    fc.record({ op: fc.constant('write' as const) }),
    fc.record({ op: fc.constant('end' as const), which: fc.nat(), commit: fc.boolean() }),
    fc.record({ op: fc.constant('read' as const), size: fc.integer({ min: 1, max: 3 }) }),
  );
  const runs = { ...fuzzParams(), numRuns: Math.max(10, fuzzParams().numRuns ?? 0) };

  it('lists every committed event exactly once, whatever the commit order (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 24 }), async (steps) => {
        const m = await t.merchant();
        const open: Awaited<ReturnType<typeof openWriter>>[] = [];
        const committed: string[] = [];
        let walk = START;
        try {
          for (const s of steps) {
            if (s.op === 'open' && open.length < 3) open.push(await openWriter(m));
            else if (s.op === 'write' || s.op === 'open') {
              const w = await openWriter(m);
              await w.end(true);
              committed.push(w.id);
            } else if (s.op === 'end' && open.length) {
              const [w] = open.splice(s.which % open.length, 1);
              await w!.end(s.commit);
              if (s.commit) committed.push(w!.id);
            } else if (s.op === 'read') {
              // One page towards the newest, as a client polling now and then.
              const p = await read(m, 'events', { last: s.size, before: walk.cursor });
              walk = {
                seen: [...walk.seen, ...ids(p).reverse()],
                cursor: p.edges.length ? p.pageInfo.startCursor : walk.cursor,
              };
            }
          }
          for (const w of open.splice(0)) {
            await w.end(true);
            committed.push(w.id);
          }
        } finally {
          for (const w of open) await w.end(false);
        }
        await untilListable(t.app.pool);
        walk = await catchUp(m, walk, 3);
        expect(new Set(walk.seen).size).toBe(walk.seen.length);
        expect(walk.seen.toSorted()).toEqual(committed.toSorted());
        // Oldest first, the list's own order.
        expect(walk.seen).toEqual(ids(await read(m, 'events', { first: 100 })).reverse());
      }),
      runs,
    );
  });
});
