import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { printedPossibleTypes, printedSchema } from '../../schema/print.js';
import { sign, type TestMerchant, useTestApp } from '../helpers/app.js';

const t = useTestApp({ graphqlMaxDepth: 6 });

const TRANSFER = `mutation($input: TransferInput!) {
  transfer(input: $input) {
    __typename
    ... on Transfer { transactionId status amount fromBalance toBalance metadata }
    ... on Error { code message param }
  }
}`;

const HISTORY = `query($id: ID!, $first: Int, $after: String, $filter: TransactionFilter) {
  user(userId: $id) {
    id userId balance currency updatedAt
    transactions(first: $first, after: $after, filter: $filter) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { node { id transactionId type amount direction balanceBefore balanceAfter description createdAt } }
    }
  }
}`;

describe('GraphQL', () => {
  it('returns the same balances and history as REST for the same user', async () => {
    const m = await t.merchant();
    await t.credit(m, 'streamer', '10.00');
    await t.credit(m, 'fan', '500.00');
    for (const amount of ['1.10', '2.20', '3.30']) {
      const r = await t.graphql(m, TRANSFER, {
        input: {
          fromUserId: 'fan',
          toUserId: 'streamer',
          amount,
          description: 'Donation',
          metadata: { streamId: 's1' },
        },
      });
      expect(r.body.data.transfer).toMatchObject({
        __typename: 'Transfer',
        status: 'COMPLETED',
        metadata: { streamId: 's1' },
      });
    }
    const gql = (await t.graphql(m, HISTORY, { id: 'streamer', first: 10 })).body.data.user;
    const rest = (await t.request({ url: '/api/v1/transactions?userId=streamer&limit=10', as: m })).body;
    const bal = (await t.request({ url: '/api/v1/balance/streamer', as: m })).body;
    expect(gql.balance).toBe('16.60');
    expect(bal.balance).toBe(Number(gql.balance));
    // REST prints the page's whole seconds; GraphQL's DateTime keeps the milliseconds.
    expect(bal.updatedAt).toBe(`${gql.updatedAt.slice(0, 19)}Z`);
    expect(gql.transactions.totalCount).toBe(rest.total);
    expect(
      gql.transactions.edges.map(({ node: n }: any) => [
        n.transactionId,
        n.type.toLowerCase(),
        Number(n.amount),
        Number(n.balanceBefore),
        Number(n.balanceAfter),
      ]),
    ).toEqual(rest.data.map((r: any) => [r.id, r.type, r.amount, r.balanceBefore, r.balanceAfter]));
    expect(gql.transactions.edges[0].node).toMatchObject({
      amount: '3.30',
      balanceBefore: '13.30',
      balanceAfter: '16.60',
    });
  });

  it('pages with cursors and filters by type and date', async () => {
    const m = await t.merchant();
    await t.credit(m, 'p', '100');
    for (let i = 0; i < 5; i++)
      await t.graphql(m, TRANSFER, { input: { fromUserId: 'p', toUserId: 'q', amount: '1' } });
    const page1 = (await t.graphql(m, HISTORY, { id: 'p', first: 4 })).body.data.user.transactions;
    expect(page1.edges).toHaveLength(4);
    expect(page1.pageInfo.hasNextPage).toBe(true);
    const page2 = (await t.graphql(m, HISTORY, { id: 'p', first: 4, after: page1.pageInfo.endCursor })).body
      .data.user.transactions;
    expect(page2.edges).toHaveLength(2);
    expect(page2.edges[1].node.type).toBe('ADJUSTMENT');
    const transfers = (await t.graphql(m, HISTORY, { id: 'p', first: 10, filter: { type: 'TRANSFER' } })).body
      .data.user;
    expect(transfers.transactions.totalCount).toBe(5);
    const future = (await t.graphql(m, HISTORY, { id: 'p', filter: { from: '2999-01-01T00:00:00Z' } })).body
      .data.user;
    expect(future.transactions.totalCount).toBe(0);
    const merchantWide = await t.graphql(
      m,
      '{ transactions(first: 2) { totalCount edges { node { id fromUserId toUserId } } } }',
    );
    expect(merchantWide.body.data.transactions.totalCount).toBe(6);
    expect(merchantWide.body.data.transactions.edges[0].node).toMatchObject({
      fromUserId: 'p',
      toUserId: 'q',
    });
  });

  it('answers expected failures as typed results with the REST codes', async () => {
    const m = await t.merchant();
    await t.credit(m, 'a', '1');
    const cases: [Record<string, unknown>, string, string, string | null][] = [
      [
        { fromUserId: 'a', toUserId: 'b', amount: '5' },
        'InsufficientFundsError',
        'insufficient_funds',
        'amount',
      ],
      [{ fromUserId: 'a', toUserId: 'b', amount: '0.001' }, 'ValidationError', 'invalid_amount', 'amount'],
      [{ fromUserId: 'a', toUserId: 'a', amount: '1' }, 'ValidationError', 'same_user', 'toUserId'],
      [{ fromUserId: 'nobody', toUserId: 'b', amount: '1' }, 'NotFoundError', 'not_found', 'fromUserId'],
      [
        { fromUserId: 'a', toUserId: 'b', amount: '1', metadata: { deep: { x: 1 } } },
        'ValidationError',
        'invalid_request',
        'metadata.deep',
      ],
    ];
    for (const [input, typename, code, param] of cases) {
      const r = (await t.graphql(m, TRANSFER, { input })).body.data.transfer;
      expect(r).toMatchObject({ __typename: typename, code, param });
    }
    const literal = await t.graphql(m, '{ user(userId: "a") { balance } }');
    expect(literal.body.data.user.balance).toBe('1.00');
  });

  it('reads JSON numbers in variables exactly: no rounding into a valid amount', async () => {
    const m = await t.merchant();
    await t.credit(m, 'exact-a', '10');
    // A signed /graphql request with the body text exactly as given (JSON.stringify would round it first).
    const raw = async (as: TestMerchant, payload: string) => {
      const res = await t.app.server.inject({
        method: 'POST',
        url: '/graphql',
        payload,
        headers: {
          'content-type': 'application/json',
          'x-api-key': as.apiKey,
          'x-signature': sign(as.apiSecret, payload),
        },
      });
      return { status: res.statusCode, body: res.json() };
    };
    const send = (amount: string) =>
      raw(
        m,
        `{"query":${JSON.stringify(TRANSFER)},"variables":{"input":{"fromUserId":"exact-a","toUserId":"exact-b","amount":${amount}}}}`,
      );
    for (const amount of [
      '1.001',
      '1.0000000000000000001',
      '1.000000000000000001',
      '1e2',
      '12345678901234567890',
    ]) {
      const r = await send(amount);
      expect(r.status, amount).toBe(200);
      expect(r.body.data.transfer, amount).toMatchObject({
        __typename: 'ValidationError',
        code: 'invalid_amount',
        param: 'amount',
      });
    }
    // Nothing moved: the payer still has 10 and the payee was never created.
    expect((await t.graphql(m, '{ user(userId: "exact-a") { balance } }')).body.data.user.balance).toBe(
      '10.00',
    );
    const payee = await t.request({ url: '/api/v1/balance/exact-b', as: m });
    expect(payee.status).toBe(404);

    // Plain JSON numbers still work for Decimal, Int and Metadata; DateTime and enums are unaffected.
    const ok = await t.graphql(m, TRANSFER, {
      input: { fromUserId: 'exact-a', toUserId: 'exact-b', amount: 2.5, metadata: { n: 1.5, k: 7 } },
    });
    expect(ok.body.data.transfer).toMatchObject({
      __typename: 'Transfer',
      amount: '2.50',
      fromBalance: '7.50',
      toBalance: '2.50',
      metadata: { n: 1.5, k: 7 },
    });
    expect((await send('2')).body.data.transfer).toMatchObject({ __typename: 'Transfer', amount: '2.00' });
    const history = await t.graphql(m, HISTORY, {
      id: 'exact-a',
      first: 5,
      filter: { type: 'TRANSFER', from: '2000-01-01T00:00:00Z' },
    });
    expect(history.body.errors).toBeUndefined();
    expect(history.body.data.user.transactions.totalCount).toBe(2);
    expect(history.body.data.user.transactions.edges).toHaveLength(2);
    const firstAsRaw = await raw(
      m,
      `{"query":${JSON.stringify(HISTORY)},"variables":{"id":"exact-a","first":1}}`,
    );
    expect(firstAsRaw.body.data.user.transactions.edges).toHaveLength(1);
    // A number an Int cannot hold is refused as a variable error, not rounded.
    const huge = await raw(
      m,
      `{"query":${JSON.stringify(HISTORY)},"variables":{"id":"exact-a","first":100000000000000000000}}`,
    );
    expect(huge.body.errors[0].extensions.code).toBe('invalid_request');
    expect(huge.body.errors[0].message).toMatch(/Int cannot represent/);
    const notAnAmount = await t.graphql(m, TRANSFER, {
      input: { fromUserId: 'exact-a', toUserId: 'exact-b', amount: true },
    });
    expect(notAnAmount.body.errors[0].extensions.code).toBe('invalid_request');
    expect(notAnAmount.body.errors[0].message).toMatch(/Decimal must be a string/);
  });

  it('keeps adjustBalance for admins, audited with the subject and reason', async () => {
    const m = await t.merchant();
    const q = `mutation($input: AdjustBalanceInput!, $key: String!) {
      adjustBalance(input: $input, idempotencyKey: $key) { __typename ... on Adjustment { transactionId balance } ... on Error { code } }
    }`;
    const input = {
      merchantId: m.merchantId,
      mode: 'TEST',
      userId: 'vip',
      amount: '25.00',
      direction: 'CREDIT',
      reason: 'goodwill',
    };
    const asMerchant = await t.graphql(m, q, { input, key: 'adj-1' });
    expect(asMerchant.body.data?.adjustBalance?.code ?? asMerchant.body.errors?.[0]?.extensions?.code).toBe(
      'forbidden',
    );
    const { token } = await t.app.services.tokens.issueAdmin(60, 'alice');
    const r = await t.graphql({ bearer: token }, q, { input, key: 'adj-1' });
    expect(r.body.data.adjustBalance).toMatchObject({ __typename: 'Adjustment', balance: '25.00' });
    const row = await t.app.pool.query(
      'select description, metadata from ledger_transactions where id = $1',
      [r.body.data.adjustBalance.transactionId],
    );
    expect(row.rows[0]).toEqual({ description: 'goodwill', metadata: { actor: 'admin:alice' } });
    const debit = await t.graphql({ bearer: token }, q, {
      input: { ...input, amount: '30', direction: 'DEBIT' },
      key: 'adj-2',
    });
    expect(debit.body.data.adjustBalance.code).toBe('insufficient_funds');
    const ghost = await t.graphql({ bearer: token }, q, {
      input: { ...input, merchantId: 'mer_nope' },
      key: 'adj-3',
    });
    expect(ghost.body.data.adjustBalance.code).toBe('not_found');
  });

  it('bounds queries by depth and page size, and masks nothing it should show', async () => {
    const m = await t.merchant();
    await t.credit(m, 'd', '1');
    const deep = await t.graphql(
      m,
      '{ user(userId: "d") { transactions { edges { node { id } } pageInfo { hasNextPage } } } }',
    );
    expect(deep.body.data.user.transactions.edges).toHaveLength(1);
    // Introspection has its own depth bound (GRAPHQL_MAX_INTROSPECTION_DEPTH): an ofType bomb stays refused.
    const tooDeep = await t.graphql(
      m,
      `{ a: user(userId: "d") { transactions { edges { node { metadata id } cursor } } } __schema { types { ${'ofType { '.repeat(25)}name${' }'.repeat(25)} } } }`,
    );
    expect(tooDeep.body.errors[0].extensions.code).toBe('invalid_request');
    expect(tooDeep.body.errors[0].message).toMatch(/Introspection depth limit of 20 exceeded/);
    const big = await t.graphql(m, '{ user(userId: "d") { transactions(first: 1000) { totalCount } } }');
    expect(big.body.errors[0].extensions.code).toBe('invalid_request');
    const syntax = await t.graphql(m, '{ user(userId: ');
    expect(syntax.body.errors[0].message).toMatch(/Syntax Error/);
  });

  it("judges each request on its own: a document's first request decides nothing for the next", async () => {
    const m = await t.merchant();
    await t.credit(m, 'first-a', '5.00');
    // Missing variables first (the text is new to this server), then the same text with them.
    const text = `${TRANSFER} # first request decides nothing`;
    const missing = await t.graphql(m, text, {});
    expect(missing.body.errors[0].message).toMatch(/Variable "\$input" of required type/);
    const ok = await t.graphql(m, text, {
      input: { fromUserId: 'first-a', toUserId: 'first-b', amount: '1' },
    });
    expect(ok.body.data.transfer).toMatchObject({ __typename: 'Transfer', fromBalance: '4.00' });
    // A refusal for complexity that came from the variables, then the same text with cheaper ones.
    const nodes =
      'edges { node { id transactionId type amount direction balanceBefore balanceAfter description createdAt metadata } }';
    const costly = `query($n: Int) { user(userId: "first-a") { a: transactions(first: $n) { ${nodes} } b: transactions(first: $n) { ${nodes} } } }`;
    const refused = await t.graphql(m, costly, { n: 100 });
    expect(refused.body.errors[0].message).toMatch(/complexity/);
    const cheap = await t.graphql(m, costly, { n: 2 });
    expect(cheap.body.errors).toBeUndefined();
    expect(cheap.body.data.user.a.edges).toHaveLength(2);
    // One operation refused for complexity, then the cheap operation of the same document.
    const two = `query Cheap { __typename } query Costly { user(userId: "first-a") { a: transactions(first: 100) { ${nodes} } b: transactions(first: 100) { ${nodes} } } }`;
    const send = (operationName: string) =>
      t.request({ url: '/graphql', body: { query: two, operationName }, as: m });
    expect((await send('Costly')).body.errors[0].message).toMatch(/complexity/);
    expect((await send('Cheap')).body).toEqual({ data: { __typename: 'Query' } });
  });

  it('has a committed schema/schema.graphql and possible-types.json that match the code (npm run schema:print)', () => {
    const committed = (name: string) =>
      readFileSync(new URL(`../../schema/${name}`, import.meta.url), 'utf8');
    expect(committed('schema.graphql')).toBe(printedSchema());
    expect(committed('possible-types.json')).toBe(printedPossibleTypes());
    expect(JSON.parse(printedPossibleTypes()).possibleTypes.Error).toContain('InsufficientFundsError');
  });
});
