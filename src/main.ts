import { type App, createApp, type Role } from './app.js';
import { SignerConfigError } from './chains/keys.js';
import { ApiProcesses, isApiProcess, joinClusterMetrics } from './cluster.js';
import { type Config, ConfigError, loadConfig } from './config.js';
import { ensureDatabase, migrate, openOrm } from './db/database.js';
import { EmbeddedError, resolveServers, type Servers } from './dev/embedded.js';
import { createLogger, type Logger } from './lib/logger.js';
import { portProblem } from './lib/port.js';
import { startupFailureMessage } from './lib/startup.js';

// Entry point: `npm start [-- --role api|worker|signer|all] [--migrate-only]`. Creates the database and applies
// migrations, then serves: `api` runs HTTP and WebSocket, `worker` the outbox relay and webhook delivery,
// `all` both. `--migrate-only` applies migrations and exits (the compose `migrate` step). Without
// DATABASE_URL/REDIS_URL, and nothing answering at the local defaults, embedded servers are started first
// (src/dev/embedded.ts; never in production).

function parseRole(argv: string[]): Role {
  const i = argv.indexOf('--role');
  const role = i >= 0 ? argv[i + 1] : 'all';
  if (role !== 'api' && role !== 'worker' && role !== 'signer' && role !== 'all') {
    console.error(`invalid --role '${role}': use api, worker, signer or all`);
    process.exit(1);
  }
  return role;
}

/** The URLs a start-up failure names (the hint strips their passwords). */
let urls: { databaseUrl: string; redisUrl: string } = { databaseUrl: 'DATABASE_URL', redisUrl: 'REDIS_URL' };

/** The servers to use: the configured ones, or embedded ones started here. */
async function servers(config: Config): Promise<Servers> {
  urls = config;
  const s = await resolveServers(config, createLogger(config.logLevel));
  urls = s;
  return s;
}

/**
 * Refuses to start, in one error line, when the HTTP port (or OPS_PORT) cannot be listened on: checked
 * before anything starts (embedded servers, devnets, wallet funding), so nothing is done for nothing.
 */
async function checkPorts(config: Config): Promise<void> {
  const wanted: [number, string, string][] = [[config.port, config.host, 'PORT']];
  if (config.opsPort !== null) wanted.push([config.opsPort, config.opsHost, 'OPS_PORT']);
  for (const [port, host, name] of wanted) {
    const problem = await portProblem(port, host);
    if (problem)
      exitWith(createLogger(config.logLevel), { port, host }, `could not start: ${problem} (set ${name})`);
  }
}

/** Logs one error line and exits with code 1. */
function exitWith(log: Logger, fields: object, message: string): never {
  log.error(fields, message);
  log.flush();
  process.exit(1);
}

async function migrateOnly(): Promise<void> {
  const s = await servers(loadConfig());
  try {
    await ensureDatabase(s.databaseUrl);
    const orm = await openOrm(s.databaseUrl, 2);
    const applied = await migrate(orm);
    await orm.close(true);
    console.log(applied.length ? `applied ${applied.join(', ')}` : 'no pending migrations');
  } finally {
    await s.close();
  }
}

function failureMessage(err: unknown, prefix?: string): string {
  if (err instanceof ConfigError || err instanceof EmbeddedError || err instanceof SignerConfigError)
    return err.message;
  return startupFailureMessage(err, urls, prefix);
}

/** Stops the process on SIGTERM/SIGINT: `stop` drains, then exit 0 (1 on failure or SHUTDOWN_TIMEOUT_MS). */
function stopOnSignals(log: Logger, timeoutMs: number, stop: () => Promise<void>): void {
  let stopping = false;
  const onSignal = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal, timeoutMs }, 'shutting down');
    const timer = setTimeout(() => {
      log.error({ timeoutMs }, 'shutdown timed out (SHUTDOWN_TIMEOUT_MS)');
      process.exit(1);
    }, timeoutMs);
    timer.unref();
    try {
      await stop();
    } catch (err) {
      log.error({ err }, 'shutdown failed');
      process.exit(1);
    }
    log.info('stopped');
    process.exit(0);
  };
  // A library promise rejected without a handler (a dropped Redis connection, say) must not take the
  // payments API down with it: log it loudly and keep serving; the database stays consistent either way.
  process.on('unhandledRejection', (reason) => log.error({ err: reason }, 'unhandled promise rejection'));
  process.on('SIGTERM', () => void onSignal('SIGTERM'));
  process.on('SIGINT', () => void onSignal('SIGINT'));
}

/** Listens on PORT; a port taken meanwhile stops the app cleanly and exits with one line. */
async function listenOrExit(app: App, embedded: Servers | null): Promise<string> {
  try {
    return await app.listen();
  } catch (err) {
    // Taken between the check and now (another process was quicker): still one line, after a clean stop.
    await app.stop().catch(() => undefined);
    await embedded?.close();
    exitWith(
      app.log,
      { port: app.config.port, host: app.config.host },
      `could not start: ${(err as Error).message}`,
    );
  }
}

/** One of API_PROCESSES: the primary has migrated and passes the servers' URLs in the environment. */
async function apiProcess(): Promise<void> {
  let app: App;
  try {
    app = await createApp({ role: 'api', migrate: false });
  } catch (err) {
    console.error(failureMessage(err));
    process.exit(1);
  }
  joinClusterMetrics(app.services.ops.metrics);
  await listenOrExit(app, null);
  stopOnSignals(app.log, app.config.shutdownTimeoutMs, () => app.stop());
}

/**
 * API_PROCESSES > 1 (src/cluster.ts): this process migrates, runs the workers (role all) or a quiet API app
 * for the metrics (role api), and forks the API processes that share PORT.
 */
async function primary(role: 'api' | 'all', config: Config): Promise<void> {
  let app: App;
  let embedded: Servers | null = null;
  try {
    await checkPorts(config);
    embedded = await servers(config);
    app = await createApp({
      role: role === 'all' ? 'worker' : 'api',
      config: { databaseUrl: embedded.databaseUrl, redisUrl: embedded.redisUrl },
    });
  } catch (err) {
    console.error(failureMessage(err));
    await embedded?.close();
    process.exit(1);
  }
  const s = embedded;
  const processes = new ApiProcesses(
    config.apiProcesses,
    { DATABASE_URL: s.databaseUrl, REDIS_URL: s.redisUrl },
    app.log,
    app.services.ops.metrics,
  );
  try {
    await processes.start();
  } catch (err) {
    await processes.stop();
    await app.stop().catch(() => undefined);
    await s.close();
    exitWith(app.log, {}, `could not start: ${(err as Error).message}`);
  }
  const address = `http://${config.host}:${config.port}`;
  app.log.info(
    { address, role, apiProcesses: config.apiProcesses },
    `NovaPayments listening on ${address} (${config.apiProcesses} API processes)`,
  );
  stopOnSignals(app.log, config.shutdownTimeoutMs, async () => {
    await processes.stop();
    await app.stop();
    await s.close();
  });
}

async function main(): Promise<void> {
  if (process.argv.includes('--migrate-only')) {
    try {
      await migrateOnly();
      process.exit(0);
    } catch (err) {
      console.error(failureMessage(err, 'migration failed'));
      process.exit(1);
    }
  }
  if (isApiProcess()) return apiProcess();
  const role = parseRole(process.argv.slice(2));
  let app: App;
  let embedded: Servers | null = null;
  try {
    const config = loadConfig();
    if (config.apiProcesses > 1 && (role === 'api' || role === 'all')) return primary(role, config);
    await checkPorts(config);
    const s = await servers(config);
    embedded = s;
    app = await createApp({
      role,
      config: {
        databaseUrl: s.databaseUrl,
        redisUrl: s.redisUrl,
      },
    });
  } catch (err) {
    console.error(failureMessage(err));
    await embedded?.close();
    process.exit(1);
  }
  const address = await listenOrExit(app, embedded);
  app.log.info({ address, role }, `NovaPayments listening on ${address}`);
  stopOnSignals(app.log, app.config.shutdownTimeoutMs, async () => {
    await app.stop();
    await embedded?.close();
  });
}

void main();
