import { z } from 'zod';
import { type Secret, secret } from './lib/secret.js';

// The treasury's part of the environment: where the signer finds the seed of the deposit addresses' keys,
// which role signs, and the sweep policy per network. Read by loadConfig (src/config.ts) like the rest.

/** Whole tokens as decimal text ("10", "0.5"): converted to base units with the network's decimals. */
const tokenText = z
  .string()
  .regex(/^(0|[1-9]\d{0,17})(\.\d{1,18})?$/, 'must be a decimal amount of whole tokens');
const address = z.string().min(26).max(64);

export const sweepPolicySchema = z
  .object({
    /** Sweep a deposit address once its credited, unswept tokens reach this. */
    threshold: tokenText,
    /** While the hot wallet holds less than this, sweep any credited balance, largest first. */
    hotTarget: tokenText.optional(),
    /** Whatever the hot wallet holds above this goes to `cold`. */
    hotCeiling: tokenText.optional(),
    cold: address.optional(),
    /** EVM: a Disperse contract (disperse.app's disperseEther) that tops many addresses up in one transaction. */
    disperse: address.optional(),
    /** TRON: how a sweep pays for its energy: `burn` TRX topped up (default), or `delegate` from a staking account. */
    tronFees: z.enum(['burn', 'delegate']).optional(),
    /** TRON delegate mode: the account that stakes and delegates (key: TRON_STAKING_PRIVATE_KEY); default the hot wallet. */
    stakingAccount: address.optional(),
    /** TRON: whole TRX a deposit address must gain the hot wallet, after the transfer's cost, to be swept back (default 1). */
    leftoverMin: tokenText.optional(),
  })
  .strict()
  .refine((p) => (p.hotCeiling === undefined) === (p.cold === undefined), {
    message: 'hotCeiling and cold go together',
  })
  .refine((p) => p.stakingAccount === undefined || p.tronFees === 'delegate', {
    message: 'stakingAccount needs "tronFees": "delegate"',
  });

const policyMap = z
  .string()
  .transform((text, ctx) => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be a JSON object' });
      return z.NEVER;
    }
  })
  .pipe(
    z.record(z.string().regex(/^[A-Z0-9]+:(live|test)$/, 'keys are <NETWORK>:<mode>'), sweepPolicySchema),
  );

export const treasuryEnvShape = {
  /** worker: `--role worker|all` processes sweep and hold the seed; signer: only `--role signer` does. */
  SIGNER_ROLE: z.enum(['worker', 'signer']).default('worker'),
  HD_MNEMONIC: z.string().min(20).optional(),
  HD_MNEMONIC_FILE: z.string().min(1).optional(),
  TRON_XPRV: z
    .string()
    .regex(/^xprv[1-9A-HJ-NP-Za-km-z]{100,}$/, "must be an xprv at m/44'/195'/0'")
    .optional(),
  TRON_XPRV_FILE: z.string().min(1).optional(),
  EVM_XPRV: z
    .string()
    .regex(/^xprv[1-9A-HJ-NP-Za-km-z]{100,}$/, "must be an xprv at m/44'/60'/0'")
    .optional(),
  EVM_XPRV_FILE: z.string().min(1).optional(),
  /** The key of SWEEP_POLICY's TRON `stakingAccount` (delegate mode), read by the signer only. */
  TRON_STAKING_PRIVATE_KEY: z
    .string()
    .regex(/^[0-9a-fA-F]{64}$/, 'must be 64 hex characters')
    .optional(),
  TRON_STAKING_PRIVATE_KEY_FILE: z.string().min(1).optional(),
  SWEEP_POLICY: policyMap.optional(),
  SWEEP_INTERVAL_MS: z.coerce.number().int().min(50).max(3_600_000).default(30_000),
  SWEEP_MAX_PER_PASS: z.coerce.number().int().min(1).max(1000).default(100),
  SWEEP_MAX_OPEN: z.coerce.number().int().min(1).max(100_000).default(500),
  SWEEP_RECONCILE_INTERVAL_MS: z.coerce.number().int().min(1000).max(86_400_000).default(300_000),
};

const treasuryEnv = z.object(treasuryEnvShape);
type TreasuryEnv = z.infer<typeof treasuryEnv>;

export type SweepPolicyInput = z.infer<typeof sweepPolicySchema>;

/** Where the signer reads the seed from: text kept as a Secret, or a file path read only by the signer. */
export interface SeedSource {
  mnemonic: Secret | null;
  mnemonicFile: string | null;
  tronXprv: Secret | null;
  tronXprvFile: string | null;
  evmXprv: Secret | null;
  evmXprvFile: string | null;
  /** TRON delegate mode's staking account key, when it is not the hot wallet. */
  tronStakingKey: Secret | null;
  tronStakingKeyFile: string | null;
}

export interface TreasuryConfig {
  signerRole: 'worker' | 'signer';
  seed: SeedSource;
  /** By chain key (`ERC20:test`); a network without one is never swept. */
  policies: Record<string, SweepPolicyInput>;
  sweepIntervalMs: number;
  maxSweepsPerPass: number;
  /** Most sweeps of one network under way at once (planned and not yet settled). */
  maxOpenSweeps: number;
  /** How often each swept network's custody on chain is compared with the books. */
  reconcileIntervalMs: number;
}

export function treasuryConfig(e: TreasuryEnv): TreasuryConfig {
  return {
    signerRole: e.SIGNER_ROLE,
    seed: {
      mnemonic: secret(e.HD_MNEMONIC),
      mnemonicFile: e.HD_MNEMONIC_FILE ?? null,
      tronXprv: secret(e.TRON_XPRV),
      tronXprvFile: e.TRON_XPRV_FILE ?? null,
      evmXprv: secret(e.EVM_XPRV),
      evmXprvFile: e.EVM_XPRV_FILE ?? null,
      tronStakingKey: secret(e.TRON_STAKING_PRIVATE_KEY),
      tronStakingKeyFile: e.TRON_STAKING_PRIVATE_KEY_FILE ?? null,
    },
    policies: e.SWEEP_POLICY ?? {},
    sweepIntervalMs: e.SWEEP_INTERVAL_MS,
    maxSweepsPerPass: e.SWEEP_MAX_PER_PASS,
    maxOpenSweeps: e.SWEEP_MAX_OPEN,
    reconcileIntervalMs: e.SWEEP_RECONCILE_INTERVAL_MS,
  };
}
