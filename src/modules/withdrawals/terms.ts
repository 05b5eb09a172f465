import { ValidationError } from '../../lib/errors.js';
import { parseAmount, parseRate } from '../../lib/money.js';
import type { MerchantSettings } from '../merchants/index.js';

// What a withdrawal pays and holds under the merchant's settings (WithdrawalsService.create).

/** A settings amount in Stars (text, two decimals) as minor units; 0 when it does not parse. */
export const starsMinor = (text: string) => {
  const r = parseAmount(text, 2, 10n ** 18n);
  return r.ok ? r.minor : 0n;
};

/**
 * What a withdrawal of `amountMinor` Stars pays under the merchant's settings, or the refusal: outside the
 * withdrawal bounds, nothing left after the fee, or no rate to convert at. The fee is a percent of the
 * amount, rounded half up to 0.01 Star; the wallet gets the rest converted to the token, rounded down to its
 * smallest unit.
 */
export function payoutTerms(
  amountMinor: bigint,
  s: MerchantSettings,
  decimals: number,
): { feeMinor: bigint; tokenMinor: bigint } {
  if (amountMinor < starsMinor(s.withdrawalMinimum)) {
    throw new ValidationError(
      `amount is below the minimum withdrawal of ${s.withdrawalMinimum} Stars`,
      'amount',
      'invalid_amount',
    );
  }
  if (amountMinor > starsMinor(s.withdrawalMaximum)) {
    throw new ValidationError(
      `amount is above the maximum withdrawal of ${s.withdrawalMaximum} Stars`,
      'amount',
      'invalid_amount',
    );
  }
  const pct = parseRate(s.withdrawalFeePercent);
  const feeMinor = (amountMinor * pct.num * 2n + 100n * pct.den) / (200n * pct.den);
  const rate = parseRate(s.starsPerUsdt);
  // At 0 Stars per USDT no amount of Stars converts to anything (the division below would be by zero).
  if (rate.num === 0n)
    throw new ValidationError(
      'Withdrawals are unavailable: the merchant’s rate is 0 Stars per USDT',
      'amount',
    );
  const tokenMinor = ((amountMinor - feeMinor) * 10n ** BigInt(decimals) * rate.den) / (100n * rate.num);
  if (tokenMinor <= 0n)
    throw new ValidationError(
      'amount is too small to pay anything out after fees',
      'amount',
      'invalid_amount',
    );
  return { feeMinor, tokenMinor };
}
