import type { Context } from '../../context.js';
import type { JsonNumber } from '../../lib/json.js';
import { restAmount, restStarsAmount, restTokenAmount } from './format.js';

// A replay answers its key's first body byte for byte (docs/api.md "Idempotency"), but the body is made again
// from the stored result: a record whose first answer printed `amount` with two decimals ("amount":50.00,
// before the page's format) is replayed that way, every other answer prints the page's format.

/** How an answer prints its `amount` field: in Stars, or in a token. */
export interface AmountPrinter {
  stars: (text: string) => JsonNumber;
  token: (text: string) => JsonNumber;
}

const PAGE_FORMAT: AmountPrinter = { stars: restStarsAmount, token: restTokenAmount };
const TWO_DECIMALS: AmountPrinter = { stars: restAmount, token: restAmount };

/** The page's format, or two decimals for the replay of a record first answered that way (answer_format 1). */
export async function amountPrinter(
  ctx: Context,
  key: string | null,
  replayed: boolean,
): Promise<AmountPrinter> {
  if (!replayed || key === null || ctx.principal.kind !== 'merchant') return PAGE_FORMAT;
  const { merchantId, mode } = ctx.principal;
  const twoDecimals = await ctx.services.idempotency.answeredWithTwoDecimalAmounts({ merchantId, mode, key });
  return twoDecimals ? TWO_DECIMALS : PAGE_FORMAT;
}

/** The page's format, for answers that replay nothing (GET routes). */
export const PAGE_AMOUNTS = PAGE_FORMAT;
