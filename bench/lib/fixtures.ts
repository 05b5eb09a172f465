import { createHmac } from 'node:crypto';
import { forEachConcurrent, type HttpClient, type Reply } from './load.js';
import { cliJson, sleep } from './proc.js';

// What most benchmarks need first: a merchant with a key, an admin token, and users with money.

export interface Merchant {
  merchantId: string;
  mode: string;
  apiKey: string;
  apiSecret: string;
}

/** A test-mode merchant whose key is effectively not rate limited, made by the CLI in a child process. */
export function createMerchant(env: NodeJS.ProcessEnv, name = 'Bench'): Promise<Merchant> {
  return cliJson<Merchant>(
    ['merchants', 'create', '--name', name, '--mode', 'test', '--rate-limit', '1000000'],
    env,
  );
}

export async function adminToken(env: NodeJS.ProcessEnv): Promise<string> {
  return (await cliJson<{ token: string }>(['admin', 'token', '--subject', 'bench'], env)).token;
}

/** u00001 … u10000 for i = 0 … 9999. */
export const userId = (i: number) => `u${String(i + 1).padStart(5, '0')}`;

const FUND_MUTATION = `mutation($input: AdjustBalanceInput!, $key: String!) {
  adjustBalance(input: $input, idempotencyKey: $key) {
    __typename ... on Adjustment { transactionId balance } ... on Error { code message }
  }
}`;

/**
 * Credits users userId(0) … userId(count - 1) with `stars` each through the admin GraphQL mutation,
 * `concurrency` requests at a time (the server batches them). Returns how many 429s were retried.
 */
export async function fundUsers(
  http: HttpClient,
  token: string,
  merchantId: string,
  count: number,
  stars: string,
  concurrency: number,
): Promise<number> {
  let retries = 0;
  const headers = { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` };
  await forEachConcurrent(count, concurrency, async (i) => {
    const input = { merchantId, mode: 'TEST', userId: userId(i), amount: stars, direction: 'CREDIT' };
    const variables = { input: { ...input, reason: 'bench funding' }, key: `bench-fund-${userId(i)}` };
    const body = Buffer.from(JSON.stringify({ query: FUND_MUTATION, variables }));
    for (let attempt = 1; ; attempt++) {
      const r = await http.post('/graphql', body, headers);
      if (r.status === 429 && attempt < 100) {
        retries++; // admin tokens are limited to 1,000 requests/s; the idempotency key makes a retry safe
        await sleep(100 + Math.random() * 200);
        continue;
      }
      const result = r.status === 200 ? JSON.parse(r.body)?.data?.adjustBalance : undefined;
      if (result?.__typename !== 'Adjustment') {
        throw new Error(`funding ${userId(i)} failed: HTTP ${r.status} ${r.body.slice(0, 500)}`);
      }
      return;
    }
  });
  return retries;
}

/** BENCH_SIGNATURE_VERSION=2 signs every request with signature version 2 (docs/api.md), else version 1. */
const SIGNATURE_VERSION = process.env.BENCH_SIGNATURE_VERSION === '2' ? 2 : 1;

/**
 * POSTs a JSON body signed as docs/api.md says: version 1, X-Signature = hex(HMAC-SHA256(apiSecret, raw
 * body)); version 2 (BENCH_SIGNATURE_VERSION=2), the HMAC of "<timestamp>\nPOST\n<path>\n<body>" with
 * X-Timestamp and X-Signature-Version: 2, each signature accepted once.
 */
export function signedPost(
  http: HttpClient,
  m: Merchant,
  path: string,
  payload: unknown,
  headers: Record<string, string> = {},
): Promise<Reply> {
  const body = Buffer.from(JSON.stringify(payload));
  const signing: Record<string, string> = {};
  if (SIGNATURE_VERSION === 2) {
    const ts = String(Math.floor(Date.now() / 1000));
    const text = Buffer.concat([Buffer.from(`${ts}\nPOST\n${path}\n`), body]);
    signing['X-Timestamp'] = ts;
    signing['X-Signature-Version'] = '2';
    signing['X-Signature'] = createHmac('sha256', m.apiSecret).update(text).digest('hex');
  } else signing['X-Signature'] = createHmac('sha256', m.apiSecret).update(body).digest('hex');
  return http.post(path, body, {
    ...headers,
    'Content-Type': 'application/json',
    'X-API-Key': m.apiKey,
    ...signing,
  });
}
