import ipaddr from 'ipaddr.js';
import { z } from 'zod';
import { treasuryEnvShape } from './config-treasury.js';

// The environment's schema: every variable the app reads, its validation and its default. Read only by
// loadConfig (src/config.ts), which turns the parsed values into a Config.

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const urlList = z
  .string()
  .regex(/^https?:\/\/[^,\s]+(,https?:\/\/[^,\s]+)*$/, 'must be comma-separated http(s) URLs');
const evmAddress = z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'must be a 0x address');

const isCidr = (v: string) => ipaddr.isValidCIDR(v) || ipaddr.isValid(v);
/** Comma-separated IPv4/IPv6 addresses or CIDRs; empty text is an empty list. */
const cidrList = z
  .string()
  .transform((v) =>
    v
      .split(',')
      .map((c) => c.trim())
      .filter(Boolean),
  )
  .refine((list) => list.every(isCidr), 'must be comma-separated IPv4/IPv6 addresses or CIDRs');

/**
 * TRUST_PROXY: which X-Forwarded-For entries to believe. `true` is refused: it believed the leftmost
 * entry, which the client writes itself, so any client could pass an IP allow-list.
 */
const PROXY_NAMES = ['loopback', 'linklocal', 'uniquelocal'];
const trustProxy = z.string().transform((v, ctx): false | number | string[] => {
  const text = v.trim().toLowerCase();
  if (['false', '0', 'no', ''].includes(text)) return false;
  if (/^\d{1,2}$/.test(text)) return Number(text);
  const list = text.split(',').map((p) => p.trim());
  if (list.every((p) => PROXY_NAMES.includes(p) || isCidr(p))) return list;
  const hint = ['true', 'yes'].includes(text)
    ? 'true would believe the X-Forwarded-For a client writes itself; '
    : '';
  ctx.addIssue({
    code: 'custom',
    message: `${hint}set the number of proxies in front of the server (1) or their addresses (10.0.0.0/8,loopback)`,
  });
  return z.NEVER;
});

/** CORS_ORIGINS: `*` (any origin, never with credentials) or exact origins such as https://shop.example. */
const originList = z
  .string()
  .transform((v) =>
    v
      .split(',')
      .map((o) => o.trim())
      .filter(Boolean),
  )
  .refine(
    (list) =>
      list.every((o) => {
        if (o === '*') return true;
        try {
          return new URL(o).origin === o;
        } catch {
          return false;
        }
      }),
    'must be * or comma-separated origins such as https://shop.example.com (scheme, host and port only)',
  );

/** The longest an admin token may live (and so the longest a revocation by id must be kept). */
export const ADMIN_TOKEN_MAX_SECONDS = 30 * 86_400;

export const envSchema = z.object({
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
  TRUST_PROXY: trustProxy.default(false),
  /** Unset: none in production, `*` elsewhere. */
  CORS_ORIGINS: originList.optional(),
  BODY_LIMIT_BYTES: z.coerce.number().int().min(1024).max(10_485_760).default(65_536),
  DEFAULT_RATE_LIMIT_PER_SECOND: z.coerce.number().int().min(1).max(1_000_000).default(100),
  ADMIN_RATE_LIMIT_PER_SECOND: z.coerce.number().int().min(1).max(1_000_000).default(1000),
  /** Requests per second one IP address may make without a credential (GraphQL introspection, `{ __typename }`). */
  ANONYMOUS_RATE_LIMIT_PER_SECOND: z.coerce.number().int().min(1).max(1_000_000).default(50),
  /** Requests and socket operations per second of one page (stream or deposit) from one IP address. */
  PAGE_TOKEN_RATE_LIMIT_PER_SECOND: z.coerce.number().int().min(1).max(1_000_000).default(50),
  MAX_AMOUNT_STARS: z.coerce.number().int().min(1).max(1_000_000_000_000).default(1_000_000_000),
  TIMESTAMP_TOLERANCE_SECONDS: z.coerce.number().int().min(1).max(3600).default(300),
  IDEMPOTENCY_TTL_HOURS: z.coerce
    .number()
    .int()
    .min(24)
    .max(24 * 30)
    .default(48),
  IDEMPOTENCY_LOCK_TIMEOUT_SECONDS: z.coerce.number().int().min(5).max(3600).default(60),
  IDEMPOTENCY_PURGE_INTERVAL_MS: z.coerce.number().int().min(1000).max(86_400_000).default(3_600_000),
  DB_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(16),
  LEDGER_MAX_BATCH: z.coerce.number().int().min(1).max(1000).default(200),
  LEDGER_MAX_IN_FLIGHT: z.coerce.number().int().min(1).max(16).default(2),
  GRAPHQL_MAX_DEPTH: z.coerce.number().int().min(2).max(50).default(10),
  GRAPHQL_MAX_COMPLEXITY: z.coerce.number().int().min(10).max(100_000).default(2_000),
  /** Deepest selection under __schema or __type (graphql-js's standard introspection query needs 15). */
  GRAPHQL_MAX_INTROSPECTION_DEPTH: z.coerce.number().int().min(4).max(50).default(20),
  /** Unset: on outside production, off in production. */
  GRAPHQL_PUBLIC_INTROSPECTION: bool.optional(),
  GRAPHQL_FIELD_SUGGESTIONS: bool.optional(),
  /** Plain JSON POSTs skip yoga's fetch-API envelope (src/http/graphql-direct.ts); off: every request through yoga whole. */
  GRAPHQL_DIRECT_PATH: bool.default(true),
  /**
   * Trusted-document manifests (JSON objects of document id → document text, as gql.tada generate-persisted
   * or codegen's client preset write them), comma-separated paths; the web pages' own is always loaded.
   */
  GRAPHQL_TRUSTED_DOCUMENTS: z
    .string()
    .transform((v) =>
      v
        .split(',')
        .map((p) => p.trim())
        .filter(Boolean),
    )
    .optional(),
  WS_MAX_SUBSCRIPTIONS_PER_SOCKET: z.coerce.number().int().min(1).max(100_000).default(100),
  WS_MAX_SUBSCRIPTIONS_PER_KEY: z.coerce.number().int().min(1).max(1_000_000).default(2_000),
  WS_MESSAGES_PER_SECOND: z.coerce.number().int().min(1).max(1_000_000).default(100),
  WS_MESSAGE_BURST: z.coerce.number().int().min(1).max(10_000_000).default(500),
  WS_COALESCE_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .max(64 * 1024 * 1024)
    .default(64 * 1024),
  WS_SLOW_CLIENT_BYTES: z.coerce
    .number()
    .int()
    .min(16 * 1024)
    .max(256 * 1024 * 1024)
    .default(1024 * 1024),
  WS_MAX_PENDING_PER_ADDRESS: z.coerce.number().int().min(1).max(1_000_000).default(32),
  WS_MAX_SOCKETS_PER_ADDRESS: z.coerce.number().int().min(1).max(10_000_000).default(1_000),
  WS_HEAP_RELEASE_AFTER_CLOSES: z.coerce.number().int().min(0).max(10_000_000).default(1_000),
  ADMIN_TOKEN_TTL_SECONDS: z.coerce
    .number()
    .int()
    .min(60)
    .max(ADMIN_TOKEN_MAX_SECONDS)
    .default(12 * 3600),
  OUTBOX_POLL_MS: z.coerce.number().int().min(50).max(60_000).default(1000),
  OUTBOX_COALESCE_MS: z.coerce.number().int().min(0).max(1000).default(5),
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
  /** A failing endpoint is sent one probe at a time, this long after its failure, doubling up to the max; 0: off. */
  WEBHOOK_FAILING_PROBE_MS: z.coerce.number().int().min(0).max(3_600_000).default(1000),
  WEBHOOK_FAILING_PROBE_MAX_MS: z.coerce.number().int().min(1).max(86_400_000).default(60_000),
  WEBHOOK_RECONCILE_SECONDS: z.coerce.number().min(0.1).max(3600).default(5),
  WEBHOOK_MAX_ENDPOINTS: z.coerce.number().int().min(1).max(1000).default(16),
  WEBHOOK_ALLOW_PRIVATE_URLS: bool.default(false),
  WEBHOOK_ALLOWED_PRIVATE_CIDRS: cidrList.default([]),
  /** How long a delivery job's lock lasts; a worker that died holding one is noticed after about this long. */
  WORKER_LOCK_MS: z.coerce.number().int().min(500).max(600_000).default(30_000),
  /** auto: embedded PostgreSQL/Redis when DATABASE_URL/REDIS_URL are unset and the local default does not answer. */
  EMBEDDED: z.enum(['auto', 'off', 'always']).default('auto'),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(1000).max(600_000).default(15_000),
  /** API processes sharing PORT (node:cluster, src/cluster.ts); 1 serves from the main process itself. */
  API_PROCESSES: z.coerce.number().int().min(1).max(64).default(1),
  SHUTDOWN_DRAIN_MS: z.coerce.number().int().min(0).max(60_000).default(2000),
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
  CHAIN_SCANNER_STALL_SECONDS: z.coerce.number().min(1).max(86_400).default(60),
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
  ...treasuryEnvShape,
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
