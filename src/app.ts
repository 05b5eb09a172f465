import { createPubSub } from 'graphql-yoga';
import { Redis } from 'ioredis';
import { closeBudgetMs, openQueues } from '../jobs/queues.js';
import { startSigner } from '../jobs/signer.js';
import { startWorkers } from '../jobs/worker.js';
import { getSchema } from '../schema/index.js';
import { setupChains } from './chains/setup.js';
import { openCore } from './compose.js';
import { type Config, ConfigError, loadConfig } from './config.js';
import type { Services } from './context.js';
import { Authenticator } from './http/auth.js';
import { registerCookies } from './http/cookies.js';
import { registerDocs } from './http/docs.js';
import { registerGraphql } from './http/graphql.js';
import { registerHealth } from './http/health.js';
import { registerOps } from './http/ops.js';
import { RateLimits } from './http/rate-limit.js';
import { ReplayCache } from './http/replay-cache.js';
import { wireRevocations } from './http/revocation-bus.js';
import { createServer } from './http/server.js';
import { SignatureVerifier } from './http/signature.js';
import { TrustedDocuments, WEB_MANIFEST } from './http/trusted-documents.js';
import { registerWeb } from './http/web.js';
import { attachSubscriptions } from './http/ws.js';
import { logCreatedFiles } from './lib/created-files.js';
import { FailureRun } from './lib/failure-run.js';
import { createLogger, type Logger } from './lib/logger.js';
import { redisConnectionName } from './lib/redis-name.js';
import { AdminService } from './modules/admin/index.js';
import { DepositsService } from './modules/deposits/index.js';
import type { Topics } from './modules/events/index.js';
import { createBatchedRedisEventTarget, EventsReader } from './modules/events/index.js';
import { liveSource } from './modules/realtime/index.js';
import { bullEnqueue } from './modules/treasury/index.js';
import { WithdrawalsService } from './modules/withdrawals/index.js';
import { openOps } from './ops/open.js';
import { registerScannerMetrics } from './ops/scanner-metrics.js';
import { opsStatus } from './ops/status.js';
import { registerRestV1 } from './rest/v1/index.js';

export type Role = 'api' | 'worker' | 'signer' | 'all';

export interface AppOptions {
  config?: Partial<Config>;
  logger?: Logger;
  /** Apply pending migrations at start-up (npm start does; tests migrate a template once). */
  migrate?: boolean;
  /**
   * api: HTTP and WebSocket; worker: outbox relay, webhook delivery, scanning and payouts (and the signer when
   * SIGNER_ROLE=worker); signer: only the signer (SIGNER_ROLE=signer); all: api and worker (the default).
   */
  role?: Role;
}

export type App = Awaited<ReturnType<typeof createApp>>;

/**
 * Composition root of the server's roles: the core every process shares (src/compose.ts, as the CLI), then the
 * chains, live events, queues, ops, HTTP and workers, wired once, with one way to stop it.
 */
export async function createApp(opts: AppOptions = {}) {
  const config: Config = { ...loadConfig(), ...opts.config };
  const log = opts.logger ?? createLogger(config.logLevel);
  const role = opts.role ?? 'all';
  if (role === 'signer' && config.treasury.signerRole !== 'signer')
    throw new ConfigError(
      'invalid configuration: --role signer needs SIGNER_ROLE=signer (with SIGNER_ROLE=worker the workers sign)',
    );
  const signs = role === 'signer' || (role !== 'api' && config.treasury.signerRole === 'worker');

  const core = await openCore({
    config,
    log,
    migrate: opts.migrate !== false,
    poolSize: config.dbPoolSize,
    ledger: { maxBatch: config.ledgerMaxBatch, maxInFlight: config.ledgerMaxInFlight },
    asyncClaims: true,
  });
  const { orm, pool, idempotency, merchants, ledger, revocations, tokens, webhooks } = core;

  // Commands fail fast while Redis is away (enableOfflineQueue: false), so the edge can fall back.
  const named = { connectionName: redisConnectionName(config.redisPrefix) };
  // Auto-pipelining: the commands of one tick (rate limits, a relay batch's publishes) leave in one write.
  const redis = new Redis(config.redisUrl, {
    ...named,
    enableAutoPipelining: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    lazyConnect: true,
  });
  const redisSub = new Redis(config.redisUrl, { ...named, lazyConnect: true, maxRetriesPerRequest: null });
  // Live-event publishes wait out a Redis outage in the offline queue (the pub/sub target does not handle
  // rejections); webhooks do not depend on them, the outbox does that.
  const pubClient = new Redis(config.redisUrl, {
    ...named,
    enableAutoPipelining: true,
    lazyConnect: true,
    maxRetriesPerRequest: null,
  });
  const eventSub = new Redis(config.redisUrl, { ...named, lazyConnect: true, maxRetriesPerRequest: null });
  const queueConnection = new Redis(config.redisUrl, {
    ...named,
    lazyConnect: true,
    maxRetriesPerRequest: null,
  });
  for (const [name, c] of Object.entries({ redis, redisSub, pubClient, eventSub, queueConnection })) {
    // ioredis reports every failed reconnect while Redis is away: one warning per outage, one line when back.
    const failures = new FailureRun(log, {
      failing: `redis connection ${name} failed; reconnecting (logged again when it is back)`,
      recovered: `redis connection ${name} is back`,
      countField: 'failedAttempts',
    });
    c.on('error', (err) => failures.failed(err));
    c.on('ready', () => failures.worked());
  }
  await Promise.all([redis, redisSub, pubClient, eventSub, queueConnection].map((c) => c.connect()));

  // Live events fan out through Redis pub/sub so a subscriber on any instance sees every event.
  const liveTarget = createBatchedRedisEventTarget({
    publishClient: pubClient,
    subscribeClient: eventSub,
    log,
    prefix: config.redisPrefix,
  });
  const pubsub = createPubSub<Topics>({ eventTarget: liveTarget });
  const queues = openQueues(queueConnection, config.redisPrefix, log, closeBudgetMs(config));

  const events = new EventsReader(pool);
  const chains = await setupChains(config, log);
  logCreatedFiles(log); // DATA_DIR/master.key (loadConfig) and hd-mnemonic.txt (setupChains), when made now
  const deposits = new DepositsService(
    pool,
    chains.registry,
    chains.hd,
    idempotency,
    merchants,
    tokens,
    config.publicBaseUrl,
  );
  const { crediting } = core;
  const ops = await openOps({ config, log, pool, queues, ledger });
  const services: Services = {
    config,
    log,
    merchants,
    ledger,
    idempotency,
    tokens,
    events,
    webhooks,
    pubsub,
    live: liveSource(pubsub, () => opsStatus(ops), log),
    deposits,
    withdrawals: new WithdrawalsService(pool, ledger, merchants, chains.registry, config.maxAmountMinor),
    admin: new AdminService(pool, { deposits, ledger, webhooks, maxAmountMinor: config.maxAmountMinor }),
    treasury: core.treasuryControls(bullEnqueue(queues)),
    ops,
    trustedDocuments: TrustedDocuments.load([WEB_MANIFEST, ...config.graphqlTrustedDocuments]),
  };

  const schema = getSchema();
  const server = createServer(services);
  await registerCookies(server);
  const replay = new ReplayCache(pool, (err) =>
    log.warn({ err: err.message }, 'could not purge expired signature records'),
  );
  const signatures = new SignatureVerifier(replay, config.timestampToleranceSeconds);
  const auth = new Authenticator(services, new RateLimits(redis, config.redisPrefix), signatures);
  registerGraphql(server, schema, services, auth);
  await registerRestV1(server, schema, services, auth);
  await registerDocs(server);
  await registerOps(server, services, ops);
  await registerWeb(server, services, auth);
  const ws =
    role === 'worker' || role === 'signer' ? null : attachSubscriptions(server, schema, services, auth);

  await wireRevocations({
    prefix: config.redisPrefix,
    redis,
    subscriber: redisSub,
    merchants,
    revocations,
    notices: core.notices,
    sockets: ws,
    log,
  });

  const workers =
    role === 'api' || role === 'signer'
      ? null
      : await startWorkers({
          config,
          pool,
          log,
          pubsub,
          liveFlushed: () => liveTarget.flushed(),
          queues,
          webhooks,
          registry: chains.registry,
          crediting,
          ledger,
          idempotency,
          onPurged: (r) => ops.metrics.observeIdempotencyPurge(r.purged),
        });
  const signer = signs
    ? await startSigner({
        config,
        pool,
        log,
        registry: chains.registry,
        ledger,
        xpubs: chains.xpubs,
        ...(workers ? { wallets: workers.payouts.wallets } : {}),
      })
    : null;
  registerHealth(server, { pool, orm, redis, scanners: () => workers?.scanning.health.status() ?? [] });
  if (workers) {
    registerScannerMetrics(ops.metrics, workers.scanning.health);
  }

  let stopped = false;
  return {
    config,
    log,
    role,
    services,
    server,
    schema,
    orm,
    pool,
    redis,
    queues,
    workers,
    /** The deposit addresses' keys and what signs with them (null where this process does not sign). */
    signer,
    chains,
    /** The live fan-out of this process (null for a worker-only process). */
    fanout: ws?.hub ?? null,
    /** The WebSocket endpoint of this process (null for a worker-only process). */
    sockets: ws,
    async listen(port = config.port, host = config.host): Promise<string> {
      return server.listen({ port, host });
    },
    /**
     * Stops accepting, closes WebSockets with 1001, lets in-flight requests, ledger batches and jobs
     * finish, then closes connections.
     */
    async stop(): Promise<void> {
      if (stopped) return;
      stopped = true;
      await ws?.close(config.shutdownDrainMs);
      await server.drainConnections(config.shutdownDrainMs);
      await server.close();
      await ops.close();
      await ledger.drain();
      await replay.settled();
      await signer?.stop();
      await workers?.stop();
      await webhooks.targets.close();
      await queues.close();
      await core.close();
      await chains.close();
      for (const c of [redisSub, pubClient, eventSub, queueConnection]) c.disconnect();
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
