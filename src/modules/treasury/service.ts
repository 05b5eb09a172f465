import { SUPPORTED_NETWORKS } from '../../chains/registry.js';
import { ValidationError } from '../../lib/errors.js';
import type { Mode } from '../../lib/tenant.js';
import type { HouseAsset, HouseBalance, LedgerService } from '../ledger/index.js';

// What operators do to the treasury's books by hand: record coins they put in (a hot wallet topped up with gas
// or tokens from outside, a cold wallet's opening balance) as capital, so the books keep matching the chain,
// and read the books.

export interface FundingInput {
  network: unknown;
  mode: unknown;
  asset: unknown;
  to: unknown;
  /** Base units of the asset (wei, sun, token units) as an integer string. */
  amount: unknown;
  /** The funding transaction's hash: one record per transaction and asset. */
  reference: unknown;
}

/** The networks funding can be recorded for: every one a deposit can be made on. */
const NETWORKS: readonly string[] = SUPPORTED_NETWORKS;
const PLACES = {
  hot: 'custody:hot',
  cold: 'custody:cold',
  deposits: 'custody:deposits',
  staking: 'custody:staking',
} as const;

/**
 * A transaction hash as its chain writes it (TRON: lower-case hex; EVM: the same with 0x), so one transaction is
 * one record however ops copied its hash (an explorer, a wallet in capitals, 0x added or left out); any other
 * reference is kept as it is.
 */
function canonicalReference(network: string, reference: string): string {
  const hash = /^(?:0[xX])?([0-9a-fA-F]{64})$/.exec(reference);
  if (!hash) return reference;
  const hex = hash[1]!.toLowerCase();
  return network === 'TRC20' ? hex : `0x${hex}`;
}

export class TreasuryService {
  constructor(private readonly ledger: LedgerService) {}

  /** capital → custody:<to>; false when this transaction was recorded already. */
  async recordFunding(input: FundingInput): Promise<boolean> {
    const network = input.network;
    if (typeof network !== 'string' || !NETWORKS.includes(network))
      throw new ValidationError(`network must be one of ${NETWORKS.join(', ')}`, 'network');
    if (input.mode !== 'live' && input.mode !== 'test')
      throw new ValidationError('mode must be live or test', 'mode');
    if (input.asset !== 'token' && input.asset !== 'native')
      throw new ValidationError('asset must be token or native', 'asset');
    if (typeof input.to !== 'string' || !(input.to in PLACES))
      throw new ValidationError('to must be hot, cold, deposits or staking', 'to');
    if (typeof input.amount !== 'string' || !/^[1-9]\d{0,77}$/.test(input.amount))
      throw new ValidationError('amount must be a positive integer of base units', 'amount');
    if (typeof input.reference !== 'string' || !/^[\x21-\x7e]{1,200}$/.test(input.reference))
      throw new ValidationError('reference must be the funding transaction hash', 'reference');
    const asset = input.asset as HouseAsset;
    const reference = canonicalReference(network, input.reference);
    const posted = await this.ledger.house.postAlone([
      {
        key: `funding:${network}:${input.mode}:${asset}:${reference}`,
        type: 'funding',
        network,
        mode: input.mode as Mode,
        asset,
        from: 'capital',
        to: PLACES[input.to as keyof typeof PLACES],
        amount: BigInt(input.amount),
        reference,
      },
    ]);
    return posted === 1;
  }

  books(filter: { network?: string; mode?: Mode } = {}): Promise<HouseBalance[]> {
    return this.ledger.house.balances(filter);
  }
}
