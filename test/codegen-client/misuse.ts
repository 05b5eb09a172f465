import type { Client } from '@urql/core';
import { UserBalance } from './client';

// Must NOT type-check: the test expects tsc to refuse exactly these lines (the types are real, not `any`).
export async function misuse(client: Client) {
  const r = await client.query(UserBalance, { userId: 'u' }).toPromise();
  const asNumber: number = r.data!.user!.balance;
  const missing = r.data!.user!.nickname;
  await client.query(UserBalance, { user: 'u' }).toPromise();
  return [asNumber, missing];
}
