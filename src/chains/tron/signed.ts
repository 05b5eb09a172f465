import type { SignedTx } from '../sweep/types.js';

/** A transaction signed by tronweb, as the treasury stores it (TRON has no nonces; it expires instead). */
export function storedTx(
  signed: { txID: string; raw_data: { expiration: number } },
  feeParams: Record<string, string>,
): SignedTx {
  return {
    txHash: signed.txID,
    raw: JSON.stringify(signed),
    nonce: null,
    expiresAt: new Date(signed.raw_data.expiration),
    feeParams,
  };
}
