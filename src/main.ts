import { createApp } from './app.js';
import { type Config, ConfigError, loadConfig } from './config.js';
import { ensureDatabase, migrate, openOrm } from './db/database.js';
import { EmbeddedError, resolveServers, type Servers } from './dev/embedded.js';
import { createLogger, type Logger } from './lib/logger.js';
import { portProblem } from './lib/port.js';
import { startupFailureMessage } from './lib/startup.js';

// Entry point: `npm start [-- --role api|worker|all] [--migrate-only]`. Creates the database and applies
// migrations, then serves: `api` runs HTTP and WebSocket, `worker` the outbox relay and webhook delivery,
// `all` both. `--migrate-only` applies migrations and exits (the compose `migrate` step). Without
// DATABASE_URL/REDIS_URL, and nothing answering at the local defaults, embedded servers are started first
// (src/dev/embedded.ts; never in production).

function parseRole(argv: string[]): 'api' | 'worker' | 'all' {
  const i = argv.indexOf('--role');
  const role = i >= 0 ? argv[i + 1] : 'all';
  if (role !== 'api' && role !== 'worker' && role !== 'all') {
    console.error(`invalid --role '${role}': use api, worker or all`);
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
  if (err instanceof ConfigError || err instanceof EmbeddedError) return err.message;
  return startupFailureMessage(err, urls, prefix);
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
  const role = parseRole(process.argv.slice(2));
  let app: Awaited<ReturnType<typeof createApp>>;
  let embedded: Servers | null = null;
  try {
    const config = loadConfig();
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
  let address: string;
  try {
    address = await app.listen();
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
  app.log.info({ address, role }, `NovaPayments listening on ${address}`);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    const timeoutMs = app.config.shutdownTimeoutMs;
    app.log.info({ signal, timeoutMs }, 'shutting down');
    const timer = setTimeout(() => {
      app.log.error({ timeoutMs }, 'shutdown timed out (SHUTDOWN_TIMEOUT_MS)');
      process.exit(1);
    }, timeoutMs);
    timer.unref();
    try {
      await app.stop();
      await embedded?.close();
    } catch (err) {
      app.log.error({ err }, 'shutdown failed');
      process.exit(1);
    }
    app.log.info('stopped');
    process.exit(0);
  };
  // A library promise rejected without a handler (a dropped Redis connection, say) must not take the
  // payments API down with it: log it loudly and keep serving; the database stays consistent either way.
  process.on('unhandledRejection', (reason) => app.log.error({ err: reason }, 'unhandled promise rejection'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

void main();
