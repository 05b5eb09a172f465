import type { Command } from 'commander';
import { formatMinor } from '../lib/money.js';
import type { Mode } from '../lib/tenant.js';
import { progress } from './progress.js';
import { cliActor, modeOption, out, positiveInt, withContext } from './util.js';

// `seed`: demo data for trying the API, the web pages and the dashboards: a merchant with a key (or an
// existing merchant), users with balances, and transfers between them. Each user's funding carries an
// idempotency key (user and amount), so re-running with --merchant funds nobody twice.

const CONCURRENCY = 8;

/** Runs `fn` over 0..n-1 with at most `limit` at once. */
async function pool(n: number, limit: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, n) }, async () => {
      while (next < n) await fn(next++);
    }),
  );
}

export function registerSeedCommand(program: Command): void {
  program
    .command('seed')
    .description('create demo data: a merchant and key, users with balances, transfers between them')
    .option('--merchant <id>', 'add to this merchant instead of creating one')
    .option('--name <name>', 'name of the merchant to create', 'Demo Shop')
    .addOption(modeOption().default('test'))
    .option('--users <n>', 'users to create and fund', positiveInt, 20)
    .option('--balance <stars>', 'Stars each user starts with', '1000')
    .option('--transfers <n>', 'transfers between random users', positiveInt, 200)
    .option('--json', 'print one JSON object')
    .action((o) =>
      withContext(async (ctx) => {
        const mode = o.mode as Mode;
        let key: { apiKey: string; apiSecret: string } | null = null;
        let merchantId: string = o.merchant;
        if (merchantId) await ctx.merchants.getMerchant(merchantId);
        else {
          const { merchant, key: k } = await ctx.merchants.createMerchantWithKey(o.name, mode, {
            rateLimitPerSecond: 1000,
          });
          merchantId = merchant.id;
          key = { apiKey: k.apiKey, apiSecret: k.apiSecret };
        }
        const tenant = { merchantId, mode };
        const users = Array.from(
          { length: o.users },
          (_, i) => `demo_user_${String(i + 1).padStart(3, '0')}`,
        );
        const bar = progress('seed', users.length + o.transfers);
        let funded = 0n;
        let completed = 0;
        let refused = 0;
        try {
          await pool(users.length, CONCURRENCY, async (i) => {
            const r = await ctx.ledger.adjust(
              tenant,
              {
                userId: users[i],
                amount: o.balance,
                direction: 'credit',
                reason: 'demo data (npm run cli -- seed)',
                actor: cliActor(),
              },
              `seed:${users[i]}:${o.balance}`,
            );
            if (!r.replayed) funded += r.amountMinor;
            bar.increment();
          });
          const base = Date.now().toString(36);
          await pool(o.transfers, CONCURRENCY, async (i) => {
            const from = users[Math.floor(Math.random() * users.length)]!;
            let to = users[Math.floor(Math.random() * users.length)]!;
            if (to === from) to = users[(users.indexOf(from) + 1) % users.length]!;
            try {
              await ctx.ledger.transfer(
                tenant,
                {
                  fromUserId: from,
                  toUserId: to,
                  amount: randomStars(),
                  description: 'demo transfer',
                  metadata: { seed: 'true' },
                },
                `seed:${base}:${i}`,
              );
              completed++;
            } catch {
              refused++; // a user ran dry, or the only user pays itself: demo data, move on
            }
            bar.increment();
          });
        } finally {
          bar.stop();
        }
        out(
          !!o.json,
          {
            merchantId,
            mode,
            ...(key ?? {}),
            users: users.length,
            funded: formatMinor(funded),
            transfers: { completed, refused },
          },
          [
            `merchant ${merchantId} (${mode})`,
            ...(key ? [`apiKey    ${key.apiKey}`, `apiSecret ${key.apiSecret}  (shown once)`] : []),
            `${users.length} users (${users[0]} …), ${formatMinor(funded)} Stars funded; ${completed} transfers (${refused} refused)`,
          ].join('\n'),
        );
      }),
    );
}

/** 0.01 to 5.00 Stars, as exact decimal text built from integer cents (no floating-point amounts). */
function randomStars(): string {
  const cents = 1 + Math.floor(Math.random() * 500);
  return `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`;
}
