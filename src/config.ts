import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';

// The only reader of process.env. Everything else receives a Config.

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const urlList = z
  .string()
  .regex(/^https?:\/\/[^,\s]+(,https?:\/\/[^,\s]+)*$/, 'must be comma-separated http(s) URLs');
const evmAddress = z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'must be a 0x address');

const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).default('0.0.0.0'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
    .default('postgres://root@127.0.0.1:5432/novapay'),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'must be a redis:// URL')
    .default('redis://127.0.0.1:6379'),
  REDIS_PREFIX: z.string().min(1).max(64).default('novapay'),
  MASTER_KEY: z
    .string()
    .regex(/^[0-9a-fA-F]{64}$/, 'must be 64 hex characters (32 bytes)')
    .optional(),
  DATA_DIR: z.string().min(1).default('.data'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  TRUST_PROXY: bool.default(false),
  BODY_LIMIT_BYTES: z.coerce.number().int().min(1024).max(10_485_760).default(65_536),
  DEFAULT_RATE_LIMIT_PER_SECOND: z.coerce.number().int().min(1).max(1_000_000).default(100),
  MAX_AMOUNT_STARS: z.coerce.number().int().min(1).max(1_000_000_000_000).default(1_000_000_000),
  TIMESTAMP_TOLERANCE_SECONDS: z.coerce.number().int().min(1).max(3600).default(300),
  IDEMPOTENCY_TTL_HOURS: z.coerce
    .number()
    .int()
    .min(24)
    .max(24 * 30)
    .default(48),
  IDEMPOTENCY_LOCK_TIMEOUT_SECONDS: z.coerce.number().int().min(5).max(3600).default(60),
  DB_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(16),
  LEDGER_MAX_BATCH: z.coerce.number().int().min(1).max(1000).default(200),
  LEDGER_MAX_IN_FLIGHT: z.coerce.number().int().min(1).max(16).default(2),
  GRAPHQL_MAX_DEPTH: z.coerce.number().int().min(2).max(50).default(10),
  GRAPHQL_MAX_COMPLEXITY: z.coerce.number().int().min(10).max(100_000).default(2_000),
  ADMIN_TOKEN_TTL_SECONDS: z.coerce
    .number()
    .int()
    .min(60)
    .max(30 * 86_400)
    .default(12 * 3600),
  OUTBOX_POLL_MS: z.coerce.number().int().min(50).max(60_000).default(1000),
  OUTBOX_BATCH_SIZE: z.coerce.number().int().min(1).max(1000).default(200),
  WEBHOOK_RETRY_SCHEDULE: z
    .string()
    .regex(
      /^\d+(ms|s|m|h)(,\d+(ms|s|m|h))*$/,
      'must be a comma-separated list of durations such as 30s,2m,1h',
    )
    .default('30s,2m,10m,30m,1h,2h,4h,8h,12h,24h,24h'),
  WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(10_000),
  WEBHOOK_CONCURRENCY: z.coerce.number().int().min(1).max(1000).default(32),
  WEBHOOK_PER_ENDPOINT_CONCURRENCY: z.coerce.number().int().min(1).max(100).default(4),
  WEBHOOK_DISABLE_AFTER_HOURS: z.coerce
    .number()
    .min(0.001)
    .max(24 * 30)
    .default(72),
  WEBHOOK_RECONCILE_SECONDS: z.coerce.number().min(0.1).max(3600).default(60),
  WEBHOOK_ALLOW_PRIVATE_URLS: bool.default(false),
  /** How long a delivery job's lock lasts; a worker that died holding one is noticed after about this long. */
  WORKER_LOCK_MS: z.coerce.number().int().min(500).max(600_000).default(30_000),
  /** auto: embedded PostgreSQL/Redis when DATABASE_URL/REDIS_URL are unset and the local default does not answer. */
  EMBEDDED: z.enum(['auto', 'off', 'always']).default('auto'),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(1000).max(600_000).default(15_000),
  METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  OPS_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  OPS_HOST: z.string().min(1).default('127.0.0.1'),
  PUBLIC_BASE_URL: z
    .string()
    .regex(/^https?:\/\/[^\s]+$/, 'must be an http(s) URL')
    .optional(),
  TRON_XPUB: z
    .string()
    .regex(/^xpub[1-9A-HJ-NP-Za-km-z]{100,}$/, "must be an xpub at m/44'/195'/0'")
    .optional(),
  TRON_NODE_URL: z
    .string()
    .regex(/^https?:\/\//, 'must be an http(s) URL')
    .optional(),
  TRON_API_KEY: z.string().min(1).optional(),
  TRC20_USDT_CONTRACT: z.string().min(34).max(34).default('TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t'),
  TRC20_CONFIRMATIONS: z.coerce.number().int().min(1).max(1000).default(19),
  TRON_TEST_NODE_URL: z
    .string()
    .regex(/^https?:\/\//, 'must be an http(s) URL')
    .optional(),
  TRC20_TEST_USDT_CONTRACT: z.string().min(34).max(34).optional(),
  TRON_TEST_FAUCET_PRIVATE_KEY: z
    .string()
    .regex(/^[0-9a-fA-F]{64}$/, 'must be 64 hex characters')
    .optional(),
  TRON_DEVNET: z.enum(['auto', 'off']).default('auto'),
  TRON_DEVNET_BLOCK_MS: z.coerce.number().int().min(0).max(60_000).default(3000),
  CHAIN_SCAN_INTERVAL_MS: z.coerce.number().int().min(50).max(600_000).default(1000),
  CHAIN_SCAN_MAX_RANGES: z.coerce.number().int().min(1).max(10_000).default(50),
  CHAIN_INITIAL_LOOKBACK_BLOCKS: z.coerce.number().int().min(0).max(1_000_000).default(200),
  DEPOSIT_EXPIRY_INTERVAL_MS: z.coerce.number().int().min(50).max(600_000).default(5000),
  EVM_XPUB: z
    .string()
    .regex(/^xpub[1-9A-HJ-NP-Za-km-z]{100,}$/, "must be an xpub at m/44'/60'/0'")
    .optional(),
  ERC20_RPC_URLS: urlList.optional(),
  ERC20_CHAIN_ID: z.coerce.number().int().min(1).default(1),
  ERC20_USDT_CONTRACT: evmAddress.default('0xdAC17F958D2ee523a2206206994597C13D831ec7'),
  ERC20_CONFIRMATIONS: z.coerce.number().int().min(1).max(10_000).default(12),
  BEP20_RPC_URLS: urlList.optional(),
  BEP20_CHAIN_ID: z.coerce.number().int().min(1).default(56),
  BEP20_USDT_CONTRACT: evmAddress.default('0x55d398326f99059fF775485246999027B3197955'),
  BEP20_CONFIRMATIONS: z.coerce.number().int().min(1).max(10_000).default(15),
  POLYGON_RPC_URLS: urlList.optional(),
  POLYGON_CHAIN_ID: z.coerce.number().int().min(1).default(137),
  POLYGON_USDT_CONTRACT: evmAddress.default('0xc2132D05D31c914a87C6611C10748AEb04B58e8F'),
  POLYGON_CONFIRMATIONS: z.coerce.number().int().min(1).max(10_000).default(256),
  EVM_TEST_RPC_URL: z
    .string()
    .regex(/^https?:\/\//, 'must be an http(s) URL')
    .optional(),
  EVM_TEST_USDT6_CONTRACT: evmAddress.optional(),
  EVM_TEST_USDT18_CONTRACT: evmAddress.optional(),
  EVM_TEST_FAUCET_PRIVATE_KEY: z
    .string()
    .regex(/^(0x)?[0-9a-fA-F]{64}$/, 'must be 64 hex characters')
    .optional(),
  EVM_TEST_CONFIRMATIONS: z.coerce.number().int().min(1).max(10_000).default(12),
  EVM_DEVNET: z.enum(['auto', 'off']).default('auto'),
  EVM_DEVNET_BLOCK_MS: z.coerce.number().int().min(0).max(60_000).default(2000),
  PAYOUT_TRON_PRIVATE_KEY: z
    .string()
    .regex(/^[0-9a-fA-F]{64}$/, 'must be 64 hex characters')
    .optional(),
  PAYOUT_EVM_PRIVATE_KEY: z
    .string()
    .regex(/^(0x)?[0-9a-fA-F]{64}$/, 'must be 64 hex characters')
    .optional(),
  PAYOUT_MNEMONIC: z.string().min(20).optional(),
  PAYOUT_MONITOR_MS: z.coerce.number().int().min(50).max(600_000).default(3000),
  PAYOUT_EVM_REPLACE_AFTER_SECONDS: z.coerce.number().min(0.05).max(86_400).default(180),
  PAYOUT_TRON_MAX_FEE_LIMIT_SUN: z.coerce
    .number()
    .int()
    .min(1_000_000)
    .max(15_000_000_000)
    .default(100_000_000),
});

/** Every environment variable the app reads (documented in .env.example and the README). */
export const ENV_KEYS = Object.keys(envSchema.shape) as (keyof typeof envSchema.shape)[];

const DURATION_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;

/** "30s,2m,1h" → [30000, 120000, 3600000] */
export function parseDurations(text: string): number[] {
  return text.split(',').map((part) => {
    const m = /^(\d+)(ms|s|m|h)$/.exec(part)!;
    return Number(m[1]) * DURATION_MS[m[2] as keyof typeof DURATION_MS];
  });
}

export type Env = z.infer<typeof envSchema>;

export interface Config {
  nodeEnv: Env['NODE_ENV'];
  isProduction: boolean;
  port: number;
  host: string;
  databaseUrl: string;
  redisUrl: string;
  redisPrefix: string;
  masterKey: Buffer;
  dataDir: string;
  logLevel: Env['LOG_LEVEL'];
  trustProxy: boolean;
  bodyLimitBytes: number;
  defaultRateLimitPerSecond: number;
  maxAmountMinor: bigint;
  timestampToleranceSeconds: number;
  idempotencyTtlHours: number;
  idempotencyLockTimeoutSeconds: number;
  dbPoolSize: number;
  ledgerMaxBatch: number;
  ledgerMaxInFlight: number;
  graphqlMaxDepth: number;
  graphqlMaxComplexity: number;
  adminTokenTtlSeconds: number;
  outboxPollMs: number;
  outboxBatchSize: number;
  /** Delay before each retry of a failed webhook delivery; its length is the number of retries. */
  webhookRetryScheduleMs: number[];
  webhookTimeoutMs: number;
  webhookConcurrency: number;
  webhookPerEndpointConcurrency: number;
  webhookDisableAfterMs: number;
  webhookReconcileMs: number;
  webhookAllowPrivateUrls: boolean;
  workerLockMs: number;
  /** See src/dev/embedded.ts. `*UrlSet`: the variable was set (only unset URLs may fall back). */
  embedded: Env['EMBEDDED'];
  databaseUrlSet: boolean;
  redisUrlSet: boolean;
  /** Set by src/dev/embedded.ts when the database is the embedded PGlite (never from the environment). */
  embeddedDatabase: boolean;
  shutdownTimeoutMs: number;
  /** A bearer accepted by /metrics besides admin tokens. */
  metricsToken: string | null;
  /** When set, /metrics is served there (no auth, on opsHost) and not on the public port. */
  opsPort: number | null;
  opsHost: string;
  publicBaseUrl: string;
  tron: {
    xpub: string | null;
    nodeUrl: string | null;
    apiKey: string | null;
    usdtContract: string;
    confirmations: number;
    testNodeUrl: string | null;
    testUsdtContract: string | null;
    testFaucetPrivateKey: string | null;
    devnet: 'auto' | 'off';
    devnetBlockMs: number;
  };
  chainScanIntervalMs: number;
  chainScanMaxRanges: number;
  chainInitialLookbackBlocks: number;
  depositExpiryIntervalMs: number;
  /** Hot-wallet keys: read only by the worker role (src/chains/payout/wallets.ts), never logged. */
  payouts: {
    tronPrivateKey: string | null;
    evmPrivateKey: string | null;
    mnemonic: string | null;
    monitorMs: number;
    evmReplaceAfterMs: number;
    tronMaxFeeLimitSun: number;
  };
  evm: {
    xpub: string | null;
    /** Live networks: enabled by their RPC URLs. Adding one is configuration (see src/chains/setup.ts). */
    networks: {
      network: string;
      rpcUrls: string[];
      chainId: number;
      usdtContract: string;
      decimals: number;
      confirmations: number;
    }[];
    testRpcUrl: string | null;
    testUsdt6: string | null;
    testUsdt18: string | null;
    testFaucetPrivateKey: string | null;
    testConfirmations: number;
    devnet: 'auto' | 'off';
    devnetBlockMs: number;
  };
}

export class ConfigError extends Error {}

/** Reads the development master key from DATA_DIR, creating it once. Never used in production. */
function developmentMasterKey(dataDir: string): Buffer {
  const file = resolve(dataDir, 'master.key');
  if (existsSync(file)) {
    const hex = readFileSync(file, 'utf8').trim();
    if (!/^[0-9a-f]{64}$/i.test(hex)) throw new ConfigError(`${file} is not 64 hex characters`);
    return Buffer.from(hex, 'hex');
  }
  const key = randomBytes(32);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${key.toString('hex')}\n`, { mode: 0o600 });
  return key;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(`invalid configuration: ${issue.path.join('.')}: ${issue.message}`);
  }
  const e = parsed.data;
  const isProduction = e.NODE_ENV === 'production';
  if (isProduction && !e.MASTER_KEY) {
    throw new ConfigError('invalid configuration: MASTER_KEY is required when NODE_ENV=production');
  }
  const masterKey = e.MASTER_KEY ? Buffer.from(e.MASTER_KEY, 'hex') : developmentMasterKey(e.DATA_DIR);
  return {
    nodeEnv: e.NODE_ENV,
    isProduction,
    port: e.PORT,
    host: e.HOST,
    databaseUrl: e.DATABASE_URL,
    redisUrl: e.REDIS_URL,
    redisPrefix: e.REDIS_PREFIX,
    masterKey,
    dataDir: e.DATA_DIR,
    logLevel: e.LOG_LEVEL,
    trustProxy: e.TRUST_PROXY,
    bodyLimitBytes: e.BODY_LIMIT_BYTES,
    defaultRateLimitPerSecond: e.DEFAULT_RATE_LIMIT_PER_SECOND,
    maxAmountMinor: BigInt(e.MAX_AMOUNT_STARS) * 100n,
    timestampToleranceSeconds: e.TIMESTAMP_TOLERANCE_SECONDS,
    idempotencyTtlHours: e.IDEMPOTENCY_TTL_HOURS,
    idempotencyLockTimeoutSeconds: e.IDEMPOTENCY_LOCK_TIMEOUT_SECONDS,
    dbPoolSize: e.DB_POOL_SIZE,
    ledgerMaxBatch: e.LEDGER_MAX_BATCH,
    ledgerMaxInFlight: e.LEDGER_MAX_IN_FLIGHT,
    graphqlMaxDepth: e.GRAPHQL_MAX_DEPTH,
    graphqlMaxComplexity: e.GRAPHQL_MAX_COMPLEXITY,
    adminTokenTtlSeconds: e.ADMIN_TOKEN_TTL_SECONDS,
    outboxPollMs: e.OUTBOX_POLL_MS,
    outboxBatchSize: e.OUTBOX_BATCH_SIZE,
    webhookRetryScheduleMs: parseDurations(e.WEBHOOK_RETRY_SCHEDULE),
    webhookTimeoutMs: e.WEBHOOK_TIMEOUT_MS,
    webhookConcurrency: e.WEBHOOK_CONCURRENCY,
    webhookPerEndpointConcurrency: e.WEBHOOK_PER_ENDPOINT_CONCURRENCY,
    webhookDisableAfterMs: Math.round(e.WEBHOOK_DISABLE_AFTER_HOURS * 3_600_000),
    webhookReconcileMs: Math.round(e.WEBHOOK_RECONCILE_SECONDS * 1000),
    webhookAllowPrivateUrls: e.WEBHOOK_ALLOW_PRIVATE_URLS,
    workerLockMs: e.WORKER_LOCK_MS,
    embedded: e.EMBEDDED,
    databaseUrlSet: env.DATABASE_URL !== undefined,
    redisUrlSet: env.REDIS_URL !== undefined,
    embeddedDatabase: false,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    metricsToken: e.METRICS_TOKEN ?? null,
    opsPort: e.OPS_PORT ?? null,
    opsHost: e.OPS_HOST,
    publicBaseUrl: (e.PUBLIC_BASE_URL ?? `http://localhost:${e.PORT}`).replace(/\/$/, ''),
    tron: {
      xpub: e.TRON_XPUB ?? null,
      nodeUrl: e.TRON_NODE_URL ?? null,
      apiKey: e.TRON_API_KEY ?? null,
      usdtContract: e.TRC20_USDT_CONTRACT,
      confirmations: e.TRC20_CONFIRMATIONS,
      testNodeUrl: e.TRON_TEST_NODE_URL ?? null,
      testUsdtContract: e.TRC20_TEST_USDT_CONTRACT ?? null,
      testFaucetPrivateKey: e.TRON_TEST_FAUCET_PRIVATE_KEY ?? null,
      devnet: e.TRON_DEVNET,
      devnetBlockMs: e.TRON_DEVNET_BLOCK_MS,
    },
    chainScanIntervalMs: e.CHAIN_SCAN_INTERVAL_MS,
    chainScanMaxRanges: e.CHAIN_SCAN_MAX_RANGES,
    chainInitialLookbackBlocks: e.CHAIN_INITIAL_LOOKBACK_BLOCKS,
    depositExpiryIntervalMs: e.DEPOSIT_EXPIRY_INTERVAL_MS,
    payouts: {
      tronPrivateKey: e.PAYOUT_TRON_PRIVATE_KEY ?? null,
      evmPrivateKey: e.PAYOUT_EVM_PRIVATE_KEY ?? null,
      mnemonic: e.PAYOUT_MNEMONIC ?? null,
      monitorMs: e.PAYOUT_MONITOR_MS,
      evmReplaceAfterMs: Math.round(e.PAYOUT_EVM_REPLACE_AFTER_SECONDS * 1000),
      tronMaxFeeLimitSun: e.PAYOUT_TRON_MAX_FEE_LIMIT_SUN,
    },
    evm: {
      xpub: e.EVM_XPUB ?? null,
      networks: [
        {
          network: 'ERC20',
          urls: e.ERC20_RPC_URLS,
          chainId: e.ERC20_CHAIN_ID,
          usdtContract: e.ERC20_USDT_CONTRACT,
          decimals: 6,
          confirmations: e.ERC20_CONFIRMATIONS,
        },
        {
          network: 'BEP20',
          urls: e.BEP20_RPC_URLS,
          chainId: e.BEP20_CHAIN_ID,
          usdtContract: e.BEP20_USDT_CONTRACT,
          decimals: 18,
          confirmations: e.BEP20_CONFIRMATIONS,
        },
        {
          network: 'POLYGON',
          urls: e.POLYGON_RPC_URLS,
          chainId: e.POLYGON_CHAIN_ID,
          usdtContract: e.POLYGON_USDT_CONTRACT,
          decimals: 6,
          confirmations: e.POLYGON_CONFIRMATIONS,
        },
      ]
        .filter((n) => n.urls)
        .map(({ urls, ...n }) => ({ ...n, rpcUrls: urls!.split(',') })),
      testRpcUrl: e.EVM_TEST_RPC_URL ?? null,
      testUsdt6: e.EVM_TEST_USDT6_CONTRACT ?? null,
      testUsdt18: e.EVM_TEST_USDT18_CONTRACT ?? null,
      testFaucetPrivateKey: e.EVM_TEST_FAUCET_PRIVATE_KEY ?? null,
      testConfirmations: e.EVM_TEST_CONFIRMATIONS,
      devnet: e.EVM_DEVNET,
      devnetBlockMs: e.EVM_DEVNET_BLOCK_MS,
    },
  };
}
