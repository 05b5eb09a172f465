import { z } from 'zod';

// Merchant settings: stored as overrides, read merged over these defaults (docs/api.md).
const stars = z.string().regex(/^(0|[1-9]\d{0,11})(\.\d{1,2})?$/, 'must be Stars with at most 2 decimals');

export const settingsSchema = z
  .object({
    starsPerUsdt: z
      .string()
      .regex(/^(0|[1-9]\d*)(\.\d{1,6})?$/)
      .default('1'),
    withdrawalFeePercent: z
      .string()
      .regex(/^(0|[1-9]\d?)(\.\d{1,2})?$/)
      .default('6'),
    networkFeeUsdt: z
      .record(z.string(), z.string().regex(/^\d+(\.\d{1,6})?$/))
      .default({ TRC20: '1.00', ERC20: '5.00', BEP20: '0.50', POLYGON: '0.20' }),
    /** Withdrawal bounds in Stars (decimal text); the daily limit is per user over the last 24 hours. */
    withdrawalMinimum: stars.default('10.00'),
    withdrawalMaximum: stars.default('100000.00'),
    withdrawalDailyLimit: stars.default('1000000.00'),
    /** Withdrawals of less than this many Stars are approved without a person; null: every one waits. */
    autoApproveBelow: stars.nullable().default(null),
    requireTimestamp: z.boolean().default(false),
    depositExpiryMinutes: z
      .number()
      .int()
      .min(5)
      .max(7 * 24 * 60)
      .default(60),
    lateDepositWatchDays: z.number().int().min(0).max(90).default(7),
    /** Live-mode webhooks may target private networks (off by default: SSRF). */
    allowPrivateWebhookUrls: z.boolean().default(false),
  })
  .strict();

export type MerchantSettings = z.infer<typeof settingsSchema>;
export type MerchantSettingsOverrides = Partial<MerchantSettings>;

export function resolveSettings(overrides: MerchantSettingsOverrides | null | undefined): MerchantSettings {
  return settingsSchema.parse(overrides ?? {});
}
