import { familyOf } from '../../chains/families.js';
import type { NetworkConfig } from '../../chains/registry.js';
import type { Pool } from '../../db/database.js';
import { InvalidAddressError } from '../../lib/errors.js';

// A payout to one of our own addresses is never what a user means and always costs someone: to a deposit
// address it comes back as a deposit (crediting that address's user, any merchant's, with the sweep's fees
// on top), to a hot wallet it only burns the fee while the user's Stars are gone, and to the token's
// contract the tokens are lost, as at the zero address. The refusal does not say which kind of address it
// is (another merchant's deposit addresses are not this merchant's business). A deposit address of any network
// and mode counts: a family's deposit addresses come from one HD sequence and key, so an address a BEP20 or
// test-mode deposit was given is ours on ERC20, POLYGON and in live mode too, where no scanner watches it.
// (Addresses of different families are spelt differently, so no network of another family can match.)

const OWN_ADDRESS = `select exists (select 1 from deposits where address = any($1::text[]))
                         or exists (select 1 from hot_wallets where address = any($1::text[])) as own`;

/** Throws invalid_address when `wallet` is the network's token contract, a hot wallet or a deposit address. */
export async function assertNotOwnAddress(pool: Pool, net: NetworkConfig, wallet: string): Promise<void> {
  const family = familyOf(net.family);
  const forms = family.storedAddressForms(wallet);
  const contractForms = new Set(family.storedAddressForms(net.token.contract));
  const own =
    forms.some((f) => contractForms.has(f)) ||
    (await pool.query<{ own: boolean }>(OWN_ADDRESS, [forms])).rows[0]!.own;
  if (own)
    throw new InvalidAddressError(
      'walletAddress is an address of this service (a deposit address, a hot wallet or the token contract); payouts go to the user’s own wallet',
    );
}
