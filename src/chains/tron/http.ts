import type { NetworkConfig } from '../registry.js';

// One POST to a TRON full node's HTTP API (java-tron's /wallet/* and /walletsolidity/*), with the TronGrid key
// when configured. A network error, a non-200 answer or a body that is not JSON becomes `fail(message)`: the
// scanner and the payout worker each raise their own "node unavailable, try again later" error.

const REQUEST_TIMEOUT_MS = 10_000;

export async function tronPost<T>(
  net: NetworkConfig,
  path: string,
  body: Record<string, unknown>,
  fail: (message: string) => Error,
): Promise<T> {
  let res: Response;
  try {
    res = await fetch(`${net.nodeUrl}${path}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(net.apiKey ? { 'TRON-PRO-API-KEY': net.apiKey } : {}),
      },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
  } catch (err) {
    throw fail(`${path}: ${(err as Error).message}`);
  }
  if (res.status !== 200) throw fail(`${path}: HTTP ${res.status}`);
  try {
    return (await res.json()) as T;
  } catch {
    throw fail(`${path}: not JSON`);
  }
}
