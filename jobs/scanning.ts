import { Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { EvmAdapter } from '../src/chains/evm/adapter.js';
import type { NetworkConfig, NetworkRegistry } from '../src/chains/registry.js';
import { TronAdapter } from '../src/chains/tron/adapter.js';
import type { ChainAdapter } from '../src/chains/types.js';
import type { Config } from '../src/config.js';
import { createPool, type Pool } from '../src/db/database.js';
import type { Logger } from '../src/lib/logger.js';
import { ChainStore } from '../src/modules/deposits/chain-store.js';
import type { DepositCrediting } from '../src/modules/deposits/crediting.js';
import { ChainScanner } from './chain-scan.js';
import { bullPrefix } from './queues.js';
import { ScannerHealth } from './scanner-health.js';
import type { JobSchedules } from './schedules.js';

// A BullMQ job scheduler per chain runs its scanner every CHAIN_SCAN_INTERVAL_MS, and one more expires
// unpaid deposits. Any number of workers may run these: each pass takes its chain's advisory lock. The
// schedules are re-created if Redis loses them (jobs/schedules.ts), and `health` tells whether each
// scanner keeps up (jobs/scanner-health.ts).

export const CHAIN_QUEUE = 'chain-scan';

export async function startScanning(deps: {
  config: Config;
  pool: Pool;
  log: Logger;
  registry: NetworkRegistry;
  crediting: DepositCrediting;
  connection: Redis;
  schedules: JobSchedules;
}) {
  const { config, pool, log } = deps;
  const store = new ChainStore(pool);
  const scanners = new Map<string, ChainScanner>();
  const adapters: { net: NetworkConfig; adapter: ChainAdapter }[] = [];
  // One lock connection per chain (plus one spare), apart from the pool the passes query through.
  const lockPool = createPool(config.databaseUrl, deps.registry.all().length + 1);
  for (const net of deps.registry.all()) {
    const adapter = net.family === 'tron' ? new TronAdapter(net) : new EvmAdapter(net);
    adapters.push({ net, adapter });
    scanners.set(
      net.chain,
      new ChainScanner(net, adapter, store, deps.crediting, pool, log, {
        maxRangesPerPass: config.chainScanMaxRanges,
        initialLookback: config.chainInitialLookbackBlocks,
        lockPool,
      }),
    );
  }
  const prefix = bullPrefix(config.redisPrefix);
  const queue = new Queue(CHAIN_QUEUE, { connection: deps.connection, prefix });
  queue.on('error', () => undefined);
  const keep = { removeOnComplete: 100, removeOnFail: 100 };
  for (const chain of scanners.keys()) {
    await deps.schedules.add(queue, `scan:${chain}`, config.chainScanIntervalMs, {
      name: 'scan',
      data: { chain },
      opts: keep,
    });
  }
  await deps.schedules.add(queue, 'expire-deposits', config.depositExpiryIntervalMs, {
    name: 'expire',
    data: {},
    opts: keep,
  });
  const worker = new Worker(
    CHAIN_QUEUE,
    async (job) => {
      if (job.name === 'expire') return { expired: await store.expire() };
      const scanner = scanners.get(job.data.chain);
      return scanner ? scanner.pass() : { skipped: true };
    },
    {
      connection: deps.connection,
      prefix,
      concurrency: Math.max(2, scanners.size + 1),
      lockDuration: config.workerLockMs,
    },
  );
  worker.on('error', (err) => log.warn({ err: err.message }, 'chain-scan worker error'));
  worker.on('failed', (job, err) =>
    log.warn({ job: job?.name, chain: job?.data?.chain, err: err.message }, 'chain-scan job failed'),
  );
  return {
    scanners,
    store,
    queue,
    // A cursor cannot move between scheduled passes: a stall is only a stall after two intervals.
    health: new ScannerHealth(
      adapters,
      store,
      Math.max(config.chainScannerStallMs, 2 * config.chainScanIntervalMs),
      log,
    ),
    async stop() {
      await worker.close();
      await queue.close();
      await lockPool.end();
    },
  };
}
