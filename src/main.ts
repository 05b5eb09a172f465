import { createApp } from './app.js';
import { ConfigError, loadConfig } from './config.js';
import { ensureDatabase, migrate, openOrm } from './db/database.js';
import { startupFailureMessage } from './lib/startup.js';

// Entry point: `npm start [-- --role api|worker|all] [--migrate-only]`. Creates the database and applies
// migrations, then serves: `api` runs HTTP and WebSocket, `worker` the outbox relay and webhook delivery,
// `all` both. `--migrate-only` applies migrations and exits (the compose `migrate` step).

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
function configUrls(): { databaseUrl: string; redisUrl: string } {
  try {
    return loadConfig();
  } catch {
    return { databaseUrl: 'DATABASE_URL', redisUrl: 'REDIS_URL' };
  }
}

async function migrateOnly(): Promise<void> {
  const config = loadConfig();
  await ensureDatabase(config.databaseUrl);
  const orm = await openOrm(config.databaseUrl, 2);
  const applied = await migrate(orm);
  await orm.close(true);
  console.log(applied.length ? `applied ${applied.join(', ')}` : 'no pending migrations');
}

async function main(): Promise<void> {
  if (process.argv.includes('--migrate-only')) {
    try {
      await migrateOnly();
      process.exit(0);
    } catch (err) {
      console.error(
        err instanceof ConfigError
          ? err.message
          : startupFailureMessage(err, configUrls(), 'migration failed'),
      );
      process.exit(1);
    }
  }
  const role = parseRole(process.argv.slice(2));
  let app: Awaited<ReturnType<typeof createApp>>;
  try {
    app = await createApp({ role });
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(1);
    }
    console.error(startupFailureMessage(err, configUrls()));
    process.exit(1);
  }
  const address = await app.listen();
  app.log.info({ address, role }, `NovaPayments listening on ${address}`);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.log.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      app.log.error('shutdown timed out');
      process.exit(1);
    }, 15_000);
    timer.unref();
    await app.stop();
    process.exit(0);
  };
  // A library promise rejected without a handler (a dropped Redis connection, say) must not take the
  // payments API down with it: log it loudly and keep serving; the database stays consistent either way.
  process.on('unhandledRejection', (reason) => app.log.error({ err: reason }, 'unhandled promise rejection'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

void main();
