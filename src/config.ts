import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { evmConfig, payoutsConfig, tronConfig } from './config-chains.js';
import { type Env, envSchema, parseDurations } from './config-env.js';
import { type TreasuryConfig, treasuryConfig } from './config-treasury.js';
import { readOrCreate } from './lib/created-files.js';

// The only reader of process.env. Everything else receives a Config.
// The variables themselves (schema, defaults, ENV_KEYS) are in config-env.ts.

export { ENV_KEYS, type Env, parseDurations } from './config-env.js';

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
  /** Which X-Forwarded-For hops to believe: none, the nearest N proxies, or proxies at these addresses. */
  trustProxy: false | number | string[];
  /** Origins allowed by CORS on /graphql (`*`: any), never with credentials; empty: no CORS. */
  corsOrigins: string[];
  bodyLimitBytes: number;
  defaultRateLimitPerSecond: number;
  /** Requests per second of one admin token subject (ADMIN_RATE_LIMIT_PER_SECOND). */
  adminRateLimitPerSecond: number;
  /** Requests per second of one IP address without a credential. */
  anonymousRateLimitPerSecond: number;
  /** Requests and socket operations per second of a stream or deposit token's page from one IP address. */
  pageTokenRateLimitPerSecond: number;
  maxAmountMinor: bigint;
  timestampToleranceSeconds: number;
  idempotencyTtlHours: number;
  idempotencyLockTimeoutSeconds: number;
  /** How often the worker deletes expired idempotency records (jobs/maintenance.ts). */
  idempotencyPurgeIntervalMs: number;
  dbPoolSize: number;
  ledgerMaxBatch: number;
  ledgerMaxInFlight: number;
  graphqlMaxDepth: number;
  graphqlMaxComplexity: number;
  graphqlMaxIntrospectionDepth: number;
  /** Anonymous callers may introspect the schema. */
  graphqlPublicIntrospection: boolean;
  /** Validation errors may suggest field names ("Did you mean …?"). */
  graphqlFieldSuggestions: boolean;
  /** POST /graphql with a plain JSON body runs without yoga's fetch-API envelope (src/http/graphql-direct.ts). */
  graphqlDirectPath: boolean;
  /** Extra trusted-document manifests (paths), besides the web pages' own. */
  graphqlTrustedDocuments: string[];
  wsMaxSubscriptionsPerSocket: number;
  /** Across every socket of one process opened with the same API key. */
  wsMaxSubscriptionsPerKey: number;
  /** Messages per second one WebSocket may send, on average (its token bucket's refill; src/http/ws-budget.ts). */
  wsMessagesPerSecond: number;
  /** Messages one WebSocket may send at once (its token bucket's size). */
  wsMessageBurst: number;
  /** Unsent bytes on a socket past which balance-like streams send only their newest message. */
  wsCoalesceBytes: number;
  /** Unsent bytes on a socket past which it is closed (4408 too_slow) rather than a donation dropped. */
  wsSlowClientBytes: number;
  /** WebSockets of one client address (an IPv6 /64) not yet acknowledged, per API process (ws-address-cap.ts). */
  wsMaxPendingPerAddress: number;
  /** WebSockets of one client address (an IPv6 /64) in all, per API process. */
  wsMaxSocketsPerAddress: number;
  /** Sockets closed in a wave (half the peak gone) after which one major GC returns their memory; 0 = off. */
  wsHeapReleaseAfterCloses: number;
  adminTokenTtlSeconds: number;
  outboxPollMs: number;
  outboxBatchSize: number;
  outboxCoalesceMs: number;
  /** Delay before each retry of a failed webhook delivery; its length is the number of retries. */
  webhookRetryScheduleMs: number[];
  webhookTimeoutMs: number;
  webhookConcurrency: number;
  webhookPerEndpointConcurrency: number;
  webhookDisableAfterMs: number;
  /** A failing endpoint's first wait between probes (0: no back-off), and the longest. */
  webhookFailingProbeMs: number;
  webhookFailingProbeMaxMs: number;
  webhookReconcileMs: number;
  /** Endpoints a merchant may have in each mode (every event fans out to all of them). */
  webhookMaxEndpoints: number;
  webhookAllowPrivateUrls: boolean;
  /** Non-public networks webhooks may reach; in production the only way to reach one. */
  webhookAllowedPrivateCidrs: string[];
  workerLockMs: number;
  /** See src/dev/embedded.ts. `*UrlSet`: the variable was set (only unset URLs may fall back). */
  embedded: Env['EMBEDDED'];
  databaseUrlSet: boolean;
  redisUrlSet: boolean;
  shutdownTimeoutMs: number;
  /** API processes sharing PORT (API_PROCESSES); above 1 the main process supervises them (src/cluster.ts). */
  apiProcesses: number;
  /** On a stop, how long at most requests get a 503 with Connection: close before the listener closes. */
  shutdownDrainMs: number;
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
  /** A scanner whose cursor has not moved this long while the chain head advanced is stalled (src/modules/deposits/scanner-health.ts). */
  chainScannerStallMs: number;
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
  /** Sweeps and the signer's seed (src/config-treasury.ts). */
  treasury: TreasuryConfig;
}

export class ConfigError extends Error {}

/** Reads the development master key from DATA_DIR, creating it once. Never used in production. */
function developmentMasterKey(dataDir: string): Buffer {
  const file = resolve(dataDir, 'master.key');
  const hex = readOrCreate(
    file,
    () => `${randomBytes(32).toString('hex')}\n`,
    'the development master key that encrypts stored secrets; keep this file (README)',
  ).trim();
  if (!/^[0-9a-f]{64}$/i.test(hex)) throw new ConfigError(`${file} is not 64 hex characters`);
  return Buffer.from(hex, 'hex');
}

function parseEnv(env: NodeJS.ProcessEnv): Env {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(`invalid configuration: ${issue.path.join('.')}: ${issue.message}`);
  }
  return parsed.data;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const e = parseEnv(env);
  const isProduction = e.NODE_ENV === 'production';
  if (isProduction && !e.MASTER_KEY) {
    throw new ConfigError('invalid configuration: MASTER_KEY is required when NODE_ENV=production');
  }
  if (isProduction && e.WEBHOOK_ALLOW_PRIVATE_URLS) {
    throw new ConfigError(
      'invalid configuration: WEBHOOK_ALLOW_PRIVATE_URLS is refused in production; list the private networks webhooks may reach in WEBHOOK_ALLOWED_PRIVATE_CIDRS',
    );
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
    corsOrigins: e.CORS_ORIGINS ?? (isProduction ? [] : ['*']),
    bodyLimitBytes: e.BODY_LIMIT_BYTES,
    defaultRateLimitPerSecond: e.DEFAULT_RATE_LIMIT_PER_SECOND,
    adminRateLimitPerSecond: e.ADMIN_RATE_LIMIT_PER_SECOND,
    anonymousRateLimitPerSecond: e.ANONYMOUS_RATE_LIMIT_PER_SECOND,
    pageTokenRateLimitPerSecond: e.PAGE_TOKEN_RATE_LIMIT_PER_SECOND,
    maxAmountMinor: BigInt(e.MAX_AMOUNT_STARS) * 100n,
    timestampToleranceSeconds: e.TIMESTAMP_TOLERANCE_SECONDS,
    idempotencyTtlHours: e.IDEMPOTENCY_TTL_HOURS,
    idempotencyLockTimeoutSeconds: e.IDEMPOTENCY_LOCK_TIMEOUT_SECONDS,
    idempotencyPurgeIntervalMs: e.IDEMPOTENCY_PURGE_INTERVAL_MS,
    dbPoolSize: e.DB_POOL_SIZE,
    ledgerMaxBatch: e.LEDGER_MAX_BATCH,
    ledgerMaxInFlight: e.LEDGER_MAX_IN_FLIGHT,
    graphqlMaxDepth: e.GRAPHQL_MAX_DEPTH,
    graphqlMaxComplexity: e.GRAPHQL_MAX_COMPLEXITY,
    graphqlMaxIntrospectionDepth: e.GRAPHQL_MAX_INTROSPECTION_DEPTH,
    graphqlPublicIntrospection: e.GRAPHQL_PUBLIC_INTROSPECTION ?? !isProduction,
    graphqlFieldSuggestions: e.GRAPHQL_FIELD_SUGGESTIONS ?? !isProduction,
    graphqlDirectPath: e.GRAPHQL_DIRECT_PATH,
    graphqlTrustedDocuments: e.GRAPHQL_TRUSTED_DOCUMENTS ?? [],
    wsMaxSubscriptionsPerSocket: e.WS_MAX_SUBSCRIPTIONS_PER_SOCKET,
    wsMaxSubscriptionsPerKey: e.WS_MAX_SUBSCRIPTIONS_PER_KEY,
    wsMessagesPerSecond: e.WS_MESSAGES_PER_SECOND,
    wsMessageBurst: e.WS_MESSAGE_BURST,
    wsCoalesceBytes: e.WS_COALESCE_BYTES,
    wsSlowClientBytes: e.WS_SLOW_CLIENT_BYTES,
    wsMaxPendingPerAddress: e.WS_MAX_PENDING_PER_ADDRESS,
    wsMaxSocketsPerAddress: e.WS_MAX_SOCKETS_PER_ADDRESS,
    wsHeapReleaseAfterCloses: e.WS_HEAP_RELEASE_AFTER_CLOSES,
    adminTokenTtlSeconds: e.ADMIN_TOKEN_TTL_SECONDS,
    outboxPollMs: e.OUTBOX_POLL_MS,
    outboxBatchSize: e.OUTBOX_BATCH_SIZE,
    outboxCoalesceMs: e.OUTBOX_COALESCE_MS,
    webhookRetryScheduleMs: parseDurations(e.WEBHOOK_RETRY_SCHEDULE),
    webhookTimeoutMs: e.WEBHOOK_TIMEOUT_MS,
    webhookConcurrency: e.WEBHOOK_CONCURRENCY,
    webhookPerEndpointConcurrency: e.WEBHOOK_PER_ENDPOINT_CONCURRENCY,
    webhookDisableAfterMs: Math.round(e.WEBHOOK_DISABLE_AFTER_HOURS * 3_600_000),
    webhookFailingProbeMs: e.WEBHOOK_FAILING_PROBE_MS,
    webhookFailingProbeMaxMs: Math.max(e.WEBHOOK_FAILING_PROBE_MAX_MS, e.WEBHOOK_FAILING_PROBE_MS),
    webhookReconcileMs: Math.round(e.WEBHOOK_RECONCILE_SECONDS * 1000),
    webhookMaxEndpoints: e.WEBHOOK_MAX_ENDPOINTS,
    webhookAllowPrivateUrls: e.WEBHOOK_ALLOW_PRIVATE_URLS,
    webhookAllowedPrivateCidrs: e.WEBHOOK_ALLOWED_PRIVATE_CIDRS,
    workerLockMs: e.WORKER_LOCK_MS,
    embedded: e.EMBEDDED,
    databaseUrlSet: env.DATABASE_URL !== undefined,
    redisUrlSet: env.REDIS_URL !== undefined,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    apiProcesses: e.API_PROCESSES,
    shutdownDrainMs: e.SHUTDOWN_DRAIN_MS,
    metricsToken: e.METRICS_TOKEN ?? null,
    opsPort: e.OPS_PORT ?? null,
    opsHost: e.OPS_HOST,
    publicBaseUrl: (e.PUBLIC_BASE_URL ?? `http://localhost:${e.PORT}`).replace(/\/$/, ''),
    tron: tronConfig(e),
    chainScanIntervalMs: e.CHAIN_SCAN_INTERVAL_MS,
    chainScanMaxRanges: e.CHAIN_SCAN_MAX_RANGES,
    chainInitialLookbackBlocks: e.CHAIN_INITIAL_LOOKBACK_BLOCKS,
    chainScannerStallMs: Math.round(e.CHAIN_SCANNER_STALL_SECONDS * 1000),
    depositExpiryIntervalMs: e.DEPOSIT_EXPIRY_INTERVAL_MS,
    payouts: payoutsConfig(e),
    evm: evmConfig(e),
    treasury: treasuryConfig(e),
  };
}
