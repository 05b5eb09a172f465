import { Migrator } from '@mikro-orm/migrations';
import { defineConfig, type Options } from '@mikro-orm/postgresql';
import { migrationsList } from '../../migrations/index.js';
import { ApiKeySchema, MerchantSchema } from '../modules/merchants/index.js';

export const entities = [MerchantSchema, ApiKeySchema];

/**
 * Where knex (under MikroORM) reports its own events, which it otherwise prints with console.log: above all
 * `Connection Error: …` when a pooled connection ended (a failover, pg_terminate_backend), which the pool
 * replaces on its own.
 */
export interface KnexLog {
  warn(message: string): void;
  error(message: string): void;
}

export function ormOptions(
  databaseUrl: string,
  poolSize = 10,
  logger?: (message: string) => void,
  knexLog?: KnexLog,
): Options {
  return defineConfig({
    ...(logger ? { logger } : {}),
    ...(knexLog
      ? {
          driverOptions: {
            log: {
              warn: knexLog.warn,
              error: knexLog.error,
              deprecate: knexLog.warn,
              debug: () => undefined,
            },
          },
        }
      : {}),
    clientUrl: databaseUrl,
    entities,
    extensions: [Migrator],
    discovery: { warnWhenNoEntities: false },
    pool: { min: 0, max: poolSize },
    debug: false,
    allowGlobalContext: false,
    migrations: {
      tableName: 'mikro_orm_migrations',
      path: './migrations',
      pathTs: './migrations',
      migrationsList,
      transactional: true,
      allOrNothing: true,
      snapshot: false,
    },
  });
}

// Used by the MikroORM CLI (`npm run migration:create`).
export default ormOptions(process.env.DATABASE_URL ?? 'postgres://root@127.0.0.1:5432/novapay');
