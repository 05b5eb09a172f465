import { familyOf } from '../../chains/families.js';
import type { NetworkConfig } from '../../chains/registry.js';
import type { Pool } from '../../db/database.js';
import { InvalidAddressError } from '../../lib/errors.js';

// A payout to one of our own addresses is never what a user means and always costs someone: to a deposit
// address it comes back as a deposit (crediting that address's user, any merchant's, with the sweep's fees
// on top), to a hot wallet it only burns the fee while the user's Stars are gone, and to the token's
// contract the tokens are lost, as at the zero address. The refusal does not say which kind of address it
// is (another merchant's deposit addresses are not this merchant's business).

const OWN_ADDRESS = `select exists (select 1 from deposits where chain = $1 and address = any($2::text[]))
                         or exists (select 1 from hot_wallets where address = any($2::text[])) as own`;

/** Throws invalid_address when `wallet` is the network's token contract, a hot wallet or a deposit address. */
export async function assertNotOwnAddress(pool: Pool, net: NetworkConfig, wallet: string): Promise<void> {
  const family = familyOf(net.family);
  const forms = family.storedAddressForms(wallet);
  const contractForms = new Set(family.storedAddressForms(net.token.contract));
  const own =
    forms.some((f) => contractForms.has(f)) ||
    (await pool.query<{ own: boolean }>(OWN_ADDRESS, [net.chain, forms])).rows[0]!.own;
  if (own)
    throw new InvalidAddressError(
      'walletAddress is an address of this service (a deposit address, a hot wallet or the token contract); payouts go to the user’s own wallet',
    );
}
