import { describe, expect, it } from 'vitest';
import type { TestMerchant } from '../helpers/app.js';
import { createTronDeposit, useTronApp } from '../helpers/tron.js';

// The ops console's admin GraphQL (issue 19) on a real TRON devnet: deposits across merchants with their
// flags and where their money went, unexpected funds resolved once (audited), and search by any id.

const t = useTronApp();
const USDT = 1_000_000n;
let admin = '';

async function gql(query: string, variables: Record<string, unknown> = {}) {
  admin ||= (await t.app.services.tokens.issueAdmin(600, 'carol')).token;
  const r = await t.graphql({ bearer: admin }, query, variables);
  expect(r.body.errors).toBeUndefined();
  return r.body.data;
}

const deposit = (m: TestMerchant, userId: string, amount: number) => createTronDeposit(t, m, userId, amount);

async function balance(m: TestMerchant, userId: string) {
  return (await t.request({ url: `/api/v1/balance/${userId}`, as: m })).body.balance;
}

const DEPOSITS = `query($f: DepositFilter) { deposits(first: 20, filter: $f) { totalCount edges { node {
  id merchantId mode userId status flags amountReceived credited
  payments { txHash status amount transactionId creditedStars postedAt } } } } }`;
const FUNDS = `query($f: UnexpectedFundFilter) { unexpectedFunds(first: 50, filter: $f) { totalCount edges { node {
  unexpectedFundId asset amountBaseUnits address depositId merchantId mode userId txHash
  resolution { action userId amount transactionId reason actor } } } } }`;
const RESOLVE = `mutation($id: ID!, $in: ResolveUnexpectedFundInput!) { resolveUnexpectedFund(unexpectedFundId: $id, input: $in) {
  __typename ... on UnexpectedFund { resolution { action amount userId transactionId actor reason } }
  ... on Error { code message param } } }`;

describe('where is the money', () => {
  it('lists every merchant’s deposits by flag and merchant, follows a payment to its ledger transaction, finds it by any id', async () => {
    const a = await t.merchant();
    const b = await t.merchant();
    const over = await deposit(a, 'alice', 10);
    const waiting = await deposit(b, 'bob', 5);
    const tx = await t.devnet.sendUsdt(over.depositAddress, 12n * USDT);
    t.devnet.mine(20);
    await t.scan();
    expect(await balance(a, 'alice')).toBe(12);

    const flagged = (await gql(DEPOSITS, { f: { flags: ['OVERPAID'] } })).deposits;
    const found = flagged.edges.map((e: any) => e.node).find((d: any) => d.id === over.id);
    expect(found).toMatchObject({
      merchantId: a.merchantId,
      mode: 'TEST',
      userId: 'alice',
      status: 'CONFIRMED',
      flags: ['OVERPAID'],
      amountReceived: '12',
      credited: '12.00',
    });
    expect(found.payments).toEqual([
      expect.objectContaining({ txHash: tx, status: 'CREDITED', amount: '12', creditedStars: '12.00' }),
    ]);
    expect(flagged.edges.some((e: any) => e.node.id === waiting.id)).toBe(false);
    const ofB = (await gql(DEPOSITS, { f: { merchantId: b.merchantId, mode: 'TEST' } })).deposits;
    expect(ofB.edges.map((e: any) => e.node.id)).toEqual([waiting.id]);
    const pending = (await gql(DEPOSITS, { f: { status: 'PENDING', merchantId: b.merchantId } })).deposits;
    expect(pending.totalCount).toBe(1);

    const ledger = (
      await gql(
        `query($id: ID!) { ledgerTransaction(id: $id) { transactionId merchantId type amount
          fromAccount { kind code } toAccount { kind code balanceAfter } metadata } }`,
        { id: found.payments[0].transactionId },
      )
    ).ledgerTransaction;
    expect(ledger).toMatchObject({
      merchantId: a.merchantId,
      type: 'DEPOSIT',
      amount: '12.00',
      fromAccount: { kind: 'system', code: 'clearing:TRC20' },
      toAccount: { kind: 'user', code: 'alice', balanceAfter: '12.00' },
      metadata: { depositId: over.id, txHash: tx },
    });

    const search = async (query: string) =>
      (
        await gql(`query($q: String!) { opsSearch(query: $q) { kind objectId merchantId matched } }`, {
          q: query,
        })
      ).opsSearch;
    expect(await search(over.id)).toEqual([
      { kind: 'DEPOSIT', objectId: over.id, merchantId: a.merchantId, matched: 'id' },
    ]);
    expect(await search(` ${tx} `)).toEqual([
      { kind: 'DEPOSIT', objectId: over.id, merchantId: a.merchantId, matched: 'tx_hash' },
    ]);
    expect(await search(waiting.depositAddress)).toEqual([
      { kind: 'DEPOSIT', objectId: waiting.id, merchantId: b.merchantId, matched: 'address' },
    ]);
    expect((await search(found.payments[0].transactionId))[0]).toMatchObject({ kind: 'TRANSACTION' });
    expect((await search(a.merchantId))[0]).toMatchObject({ kind: 'MERCHANT', objectId: a.merchantId });
    expect(await search('dep_00000000000000000000000000')).toEqual([]);
    const empty = await t.graphql({ bearer: admin }, '{ opsSearch(query: "  ") { kind } }');
    expect(empty.body.errors[0].extensions.code).toBe('invalid_request');

    // Merchants keep seeing only their own, and never the admin fields.
    const own = await t.graphql(a, DEPOSITS, { f: { merchantId: b.merchantId } });
    expect(own.body.data.deposits.edges.map((e: any) => e.node.id)).toEqual([over.id]);
    for (const q of [
      '{ opsSearch(query: "x") { kind } }',
      '{ unexpectedFunds(first: 1) { totalCount } }',
      '{ ledgerTransaction(id: "tx_x") { amount } }',
      '{ adminAudit { action } }',
    ]) {
      const r = await t.graphql(a, q);
      expect([q, r.body.errors?.[0]?.extensions?.code]).toEqual([q, 'forbidden']);
    }
  });
});

describe('unexpected funds', () => {
  it('lists TRX and foreign tokens paid to deposit addresses and resolves each once, audited', async () => {
    const m = await t.merchant();
    const d = await deposit(m, 'dora', 5);
    const trx = t.devnet.sendTrx(d.depositAddress, 2_000_000n);
    t.devnet.transferToken(t.devnet.faucet.privateKey, d.depositAddress, 7n * USDT, {
      token: t.devnet.fakeUsdt.address,
    });
    t.devnet.mine(2);
    await t.scan();
    const open = (await gql(FUNDS, { f: { state: 'OPEN', merchantId: m.merchantId } })).unexpectedFunds;
    expect(open.totalCount).toBe(2);
    const byAsset = Object.fromEntries(open.edges.map((e: any) => [e.node.asset, e.node]));
    expect(byAsset.TRX).toMatchObject({
      amountBaseUnits: '2000000',
      address: d.depositAddress,
      depositId: d.id,
      merchantId: m.merchantId,
      mode: 'TEST',
      userId: 'dora',
      resolution: null,
    });
    expect(byAsset.TRX.txHash).toBe(trx);
    const foreign = byAsset[t.devnet.fakeUsdt.address];
    expect(foreign.amountBaseUnits).toBe('7000000');

    // Bad input changes nothing.
    const noReason = await gql(RESOLVE, {
      id: byAsset.TRX.unexpectedFundId,
      in: { action: 'IGNORE', reason: ' ' },
    });
    expect(noReason.resolveUnexpectedFund).toMatchObject({ __typename: 'ValidationError', param: 'reason' });
    const noAmount = await gql(RESOLVE, {
      id: byAsset.TRX.unexpectedFundId,
      in: { action: 'CREDIT', reason: 'x' },
    });
    expect(noAmount.resolveUnexpectedFund).toMatchObject({ code: 'invalid_amount', param: 'amount' });
    const missing = await gql(RESOLVE, { id: '999999999', in: { action: 'IGNORE', reason: 'x' } });
    expect(missing.resolveUnexpectedFund.code).toBe('not_found');

    // Ten concurrent credits of the same payment: one credit, nine conflicts.
    const attempts = await Promise.all(
      Array.from({ length: 10 }, () =>
        gql(RESOLVE, {
          id: foreign.unexpectedFundId,
          in: { action: 'CREDIT', amount: '3.50', reason: 'customer sent the wrong token; agreed rate' },
        }),
      ),
    );
    const kinds = attempts.map((r) => r.resolveUnexpectedFund.__typename);
    expect(kinds.filter((k) => k === 'UnexpectedFund')).toHaveLength(1);
    expect(kinds.filter((k) => k === 'ConflictError')).toHaveLength(9);
    const credited = attempts.find((r) => r.resolveUnexpectedFund.__typename === 'UnexpectedFund')!;
    expect(credited.resolveUnexpectedFund.resolution).toMatchObject({
      action: 'CREDIT',
      amount: '3.50',
      userId: 'dora',
      actor: 'admin:carol',
    });
    expect(await balance(m, 'dora')).toBe(3.5);
    const conflict = attempts.find((r) => r.resolveUnexpectedFund.__typename === 'ConflictError')!;
    expect(conflict.resolveUnexpectedFund).toMatchObject({ code: 'conflict', param: 'id' });

    // The credit is a balanced posting from the merchant's unexpected_funds book.
    const txId = credited.resolveUnexpectedFund.resolution.transactionId;
    const posting = (
      await gql(
        `query($id: ID!) { ledgerTransaction(id: $id) { type amount fromAccount { code balanceAfter } toAccount { code } } }`,
        {
          id: txId,
        },
      )
    ).ledgerTransaction;
    expect(posting).toEqual({
      type: 'ADJUSTMENT',
      amount: '3.50',
      fromAccount: { code: 'unexpected_funds', balanceAfter: '-3.50' },
      toAccount: { code: 'dora' },
    });
    const sums = await t.app.pool.query(
      `select sum(amount_minor)::text as s from ledger_entries where transaction_id = $1`,
      [txId],
    );
    expect(sums.rows[0].s).toBe('0');

    // Ignore the TRX; a later credit of it is a conflict and moves nothing.
    const ignored = await gql(RESOLVE, {
      id: byAsset.TRX.unexpectedFundId,
      in: { action: 'IGNORE', reason: 'dust from an exchange sweep' },
    });
    expect(ignored.resolveUnexpectedFund.resolution).toMatchObject({ action: 'IGNORE', amount: null });
    const late = await gql(RESOLVE, {
      id: byAsset.TRX.unexpectedFundId,
      in: { action: 'CREDIT', amount: '1', reason: 'changed my mind' },
    });
    expect(late.resolveUnexpectedFund.code).toBe('conflict');
    expect(await balance(m, 'dora')).toBe(3.5);
    expect(
      (await gql(FUNDS, { f: { state: 'OPEN', merchantId: m.merchantId } })).unexpectedFunds.totalCount,
    ).toBe(0);

    const audit = (
      await gql(
        `query($id: ID!) { adminAudit(targetType: "unexpected_fund", targetId: $id) { actor action reason details } }`,
        {
          id: foreign.unexpectedFundId,
        },
      )
    ).adminAudit;
    expect(audit).toEqual([
      {
        actor: 'admin:carol',
        action: 'unexpected_funds.credit',
        reason: 'customer sent the wrong token; agreed rate',
        details: expect.objectContaining({ userId: 'dora', stars: 3.5, transactionId: txId }),
      },
    ]);
    const found = (
      await gql(`query($q: String!) { opsSearch(query: $q) { kind objectId matched } }`, {
        q: d.depositAddress,
      })
    ).opsSearch;
    expect(found).toEqual(
      expect.arrayContaining([
        { kind: 'DEPOSIT', objectId: d.id, matched: 'address' },
        { kind: 'UNEXPECTED_FUND', objectId: foreign.unexpectedFundId, matched: 'address' },
      ]),
    );

    // Merchant keys may neither list nor resolve.
    const r = await t.graphql(m, RESOLVE, {
      id: byAsset.TRX.unexpectedFundId,
      in: { action: 'IGNORE', reason: 'x' },
    });
    expect(r.body.errors[0].extensions.code).toBe('forbidden');
  });
});
