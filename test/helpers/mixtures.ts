import type { Pool } from 'pg';
import { expect } from 'vitest';
import { ERROR_STATUS } from '../../src/lib/errors.js';
import type { TestContext, TestMerchant } from './app.js';
import { keyInit, rawSocket } from './ws.js';

// One money-moving operation sent through any of the three doors (REST, GraphQL over HTTP, graphql-ws), with
// the body given as exact JSON text, and its answer read in one shape; and a snapshot of everything a
// merchant's money touches, to show that refused requests left no trace. For the mixed-input properties
// (test/integration/mixtures-*.test.ts).

export type Door = 'rest' | 'http' | 'ws';
export const DOORS: Door[] = ['rest', 'http', 'ws'];
export const CODES = new Set(Object.keys(ERROR_STATUS));

/** What a door answered: ok with the transaction id and whether it was replayed, or the error code. */
export type Outcome =
  | { ok: true; id: string; replayed: boolean; raw: unknown }
  | { ok: false; code: string; status: number; raw: unknown };

export interface Op {
  rest: string;
  /** The count in ledgerSnapshot that one success grows by one. */
  effect: 'tx' | 'withdrawals' | 'deposits';
  field: string;
  inputType: string;
  success: string;
}

export const TRANSFER: Op = {
  rest: '/api/v1/transfer',
  effect: 'tx',
  field: 'transfer',
  inputType: 'TransferInput',
  success: '... on Transfer { id: transactionId replayed }',
};
export const WITHDRAWAL: Op = {
  rest: '/api/v1/withdraw/create',
  effect: 'withdrawals',
  field: 'createWithdrawal',
  inputType: 'CreateWithdrawalInput',
  success: '... on Withdrawal { id replayed }',
};
export const DEPOSIT: Op = {
  rest: '/api/v1/deposit/create',
  effect: 'deposits',
  field: 'createDeposit',
  inputType: 'CreateDepositInput',
  success: '... on Deposit { id replayed }',
};

export function mutationText(op: Op, count = 1): string {
  const vars = Array.from({ length: count }, (_, i) => `$i${i}: ${op.inputType}!, $k${i}: String`).join(', ');
  const fields = Array.from(
    { length: count },
    (_, i) =>
      `r${i}: ${op.field}(input: $i${i}, idempotencyKey: $k${i}) { __typename ... on Error { code message } ${op.success} }`,
  ).join(' ');
  return `mutation(${vars}) { ${fields} }`;
}

/** A GraphQL answer's field `r<i>` as an outcome (a request-level error is the outcome of every field). */
export function graphqlOutcome(status: number, body: any, field = 'r0'): Outcome {
  const r = body?.data?.[field];
  if (r && !r.__typename.endsWith('Error')) return { ok: true, id: r.id, replayed: r.replayed, raw: body };
  if (r) return { ok: false, code: r.code, status, raw: body };
  return { ok: false, code: body?.errors?.[0]?.extensions?.code ?? `status ${status}`, status, raw: body };
}

export function restOutcome(res: { status: number; body: any; headers: Record<string, unknown> }): Outcome {
  if (res.status === 200)
    return {
      ok: true,
      id: res.body.id,
      replayed: res.headers['idempotent-replayed'] === 'true',
      raw: res.body,
    };
  return {
    ok: false,
    code: res.body?.error?.code ?? `status ${res.status}`,
    status: res.status,
    raw: res.body,
  };
}

type RawSocket = Awaited<ReturnType<typeof rawSocket>>;

/** Runs one operation on a graphql-ws socket: its answer as over HTTP (an `error` message as `{errors}`). */
export async function overSocket(s: RawSocket, id: string, payload: string): Promise<any> {
  s.sendRaw(id, payload);
  const messages = await s.result(id);
  expect(s.closed(), `${payload} closed the socket`).toBeNull();
  const error = messages.find((x) => x.type === 'error');
  return error ? { errors: error.payload } : messages.find((x) => x.type === 'next')?.payload;
}

/** A socket's answer (overSocket) as an outcome: an operation refused whole is a 400, as over HTTP. */
export const socketOutcome = (body: any): Outcome => graphqlOutcome(body?.data ? 200 : 400, body);

const listening = new WeakMap<object, Promise<string>>();
/** The app's graphql-ws URL: it listens on a free port the first time (once per app). */
export function wsUrlOf(t: TestContext): Promise<string> {
  let url = listening.get(t.app);
  if (!url) {
    url = t.app.listen(0, '127.0.0.1').then((address) => `${address.replace('http', 'ws')}/graphql`);
    listening.set(t.app, url);
  }
  return url;
}

/** The three doors for one merchant; the WebSocket is opened on first use and reused. */
export function doors(t: TestContext, m: TestMerchant) {
  let socket: RawSocket | null = null;
  let op = 0;
  const ws = async () => {
    if (socket && !socket.closed()) return socket;
    socket = await rawSocket(await wsUrlOf(t), keyInit(m));
    expect(socket.acked).toBe(true);
    return socket;
  };
  return {
    /** Sends `inputText` (JSON text of the input) with `key` (undefined: none) through `door`. */
    async send(door: Door, o: Op, inputText: string, key?: string): Promise<Outcome> {
      if (door === 'rest') {
        const res = await t.request({
          method: 'POST',
          url: o.rest,
          as: m,
          rawBody: inputText,
          headers: key === undefined ? {} : { 'idempotency-key': key },
        });
        expect(res.status, `${o.rest} ${inputText} → ${res.text}`).toBeLessThan(500);
        return restOutcome(res);
      }
      const payload = `{"query":${JSON.stringify(mutationText(o))},"variables":{"i0":${inputText},"k0":${key === undefined ? 'null' : JSON.stringify(key)}}}`;
      if (door === 'http') {
        const res = await t.request({ method: 'POST', url: '/graphql', as: m, rawBody: payload });
        expect(res.status, `${payload} → ${res.text}`).toBeLessThan(500);
        return graphqlOutcome(res.status, res.body);
      }
      const s = await ws();
      const id = `m${op++}`;
      return socketOutcome(await overSocket(s, id, payload));
    },
    close: () => socket?.close(),
  };
}

/** An outcome is a refusal with a code from the one list, and never internal_error. */
export function expectRefused(o: Outcome, what: string): void {
  expect(o.ok, `${what} was accepted: ${JSON.stringify(o.raw)}`).toBe(false);
  if (o.ok) return;
  expect(CODES, `${what} → ${JSON.stringify(o.raw)}`).toContain(o.code);
  expect(o.code, `${what} → ${JSON.stringify(o.raw)}`).not.toBe('internal_error');
  expect(o.status, what).toBeLessThan(500);
}

/** Everything of a merchant that a money movement writes: balances, postings, events, keys, withdrawals. */
export async function ledgerSnapshot(pool: Pool, merchantId: string) {
  const one = async (sql: string) => (await pool.query(sql, [merchantId])).rows;
  return {
    balances: Object.fromEntries(
      (
        await one(
          `select mode || ':' || kind || ':' || code as k, balance_minor::text as b from accounts where merchant_id = $1`,
        )
      ).map((r) => [r.k, r.b]),
    ),
    counts: (
      await one(`select (select count(*) from ledger_transactions where merchant_id = $1)::int as tx,
                        (select count(*) from ledger_entries e join accounts a on a.id = e.account_id
                           where a.merchant_id = $1)::int as entries,
                        (select count(*) from events where merchant_id = $1)::int as events,
                        (select count(*) from idempotency_keys where merchant_id = $1)::int as keys,
                        (select count(*) from withdrawals where merchant_id = $1)::int as withdrawals,
                        (select count(*) from deposits where merchant_id = $1)::int as deposits`)
    )[0],
    total: (
      await one(`select coalesce(sum(balance_minor), 0)::text as s from accounts where merchant_id = $1`)
    )[0]!.s,
  };
}
