import { Migrator } from '@mikro-orm/migrations';
import { defineConfig, type Options } from '@mikro-orm/postgresql';
import { migrationsList } from '../../migrations/index.js';
import { ApiKeySchema, MerchantSchema } from '../modules/merchants/index.js';

export const entities = [MerchantSchema, ApiKeySchema];

export function ormOptions(databaseUrl: string, poolSize = 10, logger?: (message: string) => void): Options {
  return defineConfig({
    ...(logger ? { logger } : {}),
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
