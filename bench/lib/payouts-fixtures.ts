import { randomBytes } from 'node:crypto';
import { getAddress } from 'ethers';
import type { App } from '../../src/app.js';
import { userId } from './fixtures.js';
import { forEachConcurrent } from './load.js';
import { log } from './proc.js';
import { int } from './report.js';

// The sizes and set-up of `npm run bench -- payouts` (bench/payouts.ts): the settings its phases and report
// share, and the untimed set-up of N approved withdrawals.

export const NETWORK = 'ERC20';
export const CHAIN = `${NETWORK}:test`;
export const CONFIRMATIONS = 12;
export const CREDIT_STARS = '100';
export const WITHDRAW_STARS = 20;
export const SETUP_CONCURRENCY = 16;

/** Scheduled passes (BullMQ, and the NOTIFY on every approval): turned away and counted while the bench drives. */
export const MONITOR_MS = 600_000;

export interface Sizes {
  n: number;
  blockMs: number;
  /** The block eth_estimateGas without one runs against (see the header). */
  estimateAt: 'latest' | 'pending';
}

export function sizes(): Sizes {
  const raw = process.env.PAYOUTS_SCALE ?? '1';
  const s = Number(raw);
  if (!(s >= 0.01 && s <= 5)) throw new Error(`PAYOUTS_SCALE must be 0.01-5, not '${raw}'`);
  const rawBlock = process.env.PAYOUTS_BLOCK_MS ?? '2000';
  const blockMs = Number(rawBlock);
  if (!(blockMs >= 100 && blockMs <= 12_000))
    throw new Error(`PAYOUTS_BLOCK_MS must be 100-12000, not '${rawBlock}'`);
  const estimateAt = process.env.PAYOUTS_ESTIMATE_AT ?? 'latest';
  if (estimateAt !== 'latest' && estimateAt !== 'pending')
    throw new Error(`PAYOUTS_ESTIMATE_AT must be latest or pending, not '${estimateAt}'`);
  return { n: Math.max(1, Math.round(1_000 * s)), blockMs, estimateAt };
}

export const freshAddress = () => getAddress(`0x${randomBytes(20).toString('hex')}`);

export interface SetUp {
  ids: string[];
  seconds: { credit: number; create: number; approve: number };
}

export async function setUp(app: App, merchantId: string, n: number): Promise<SetUp> {
  const tenant = { merchantId, mode: 'test' as const };
  const t0 = performance.now();
  await forEachConcurrent(n, SETUP_CONCURRENCY, async (i) => {
    await app.services.ledger.adjust(tenant, {
      userId: userId(i),
      amount: CREDIT_STARS,
      direction: 'credit',
      reason: 'bench funding',
      actor: 'bench',
    });
  });
  const t1 = performance.now();
  log(`  ${int(n)} users credited ${CREDIT_STARS} Stars each in ${((t1 - t0) / 1000).toFixed(1)} s`);
  const ids = new Array<string>(n);
  await forEachConcurrent(n, SETUP_CONCURRENCY, async (i) => {
    const w = await app.services.withdrawals.create(tenant, {
      userId: userId(i),
      amount: WITHDRAW_STARS,
      walletAddress: freshAddress(),
      network: NETWORK,
    });
    ids[i] = w.id;
  });
  const t2 = performance.now();
  log(`  ${int(n)} withdrawals created in ${((t2 - t1) / 1000).toFixed(1)} s`);
  await forEachConcurrent(n, SETUP_CONCURRENCY, async (i) => {
    await app.services.withdrawals.approve(tenant, ids[i]!, 'admin:bench');
  });
  const t3 = performance.now();
  log(`  ${int(n)} approved (admin) in ${((t3 - t2) / 1000).toFixed(1)} s`);
  return {
    ids,
    seconds: { credit: (t1 - t0) / 1000, create: (t2 - t1) / 1000, approve: (t3 - t2) / 1000 },
  };
}
