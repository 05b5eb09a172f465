import type { MikroORM } from '@mikro-orm/postgresql';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { type Pool, pendingMigrations } from '../db/database.js';
import type { ScannerHealthStatus } from '../modules/deposits/index.js';

// /healthz: the process answers (no dependency checks). /readyz: PostgreSQL answers, migrations are applied,
// Redis answers, and, in a process that runs chain scanners (--role worker|all), none of them is stalled
// (src/modules/deposits/scanner-health.ts): each scanner is a check of its own, `scanner:<chain>`, false while stalled.

export function registerHealth(
  server: FastifyInstance,
  deps: { pool: Pool; orm: MikroORM; redis: Redis; scanners: () => ScannerHealthStatus[] },
): void {
  server.get('/healthz', async () => ({ status: 'ok' }));
  server.get('/readyz', async (_req, reply) => {
    const checks: Record<string, boolean> = { postgres: false, redis: false, migrations: false };
    try {
      await deps.pool.query('select 1');
      checks.postgres = true;
      checks.migrations = (await pendingMigrations(deps.orm)).length === 0;
    } catch {}
    try {
      checks.redis = (await deps.redis.ping()) === 'PONG';
    } catch {}
    for (const s of deps.scanners()) checks[`scanner:${s.chain}`] = !s.stalled;
    const ready = Object.values(checks).every(Boolean);
    reply.code(ready ? 200 : 503);
    return { status: ready ? 'ready' : 'not_ready', checks };
  });
}
