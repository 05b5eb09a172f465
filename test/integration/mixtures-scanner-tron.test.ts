import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TronAdapter } from '../../src/chains/tron/adapter.js';
import { ChainUnavailableError } from '../../src/chains/types.js';
import { ChainStore } from '../../src/modules/deposits/chain-store.js';
import { DepositCrediting } from '../../src/modules/deposits/crediting.js';
import { ChainScanner } from '../../src/modules/deposits/scanner.js';
import { fuzzParams } from '../helpers/fuzz.js';
import { checkHouseInvariants, checkLedgerInvariants } from '../helpers/invariants.js';
import type { HeldRequest } from '../helpers/node-gate.js';
import { createTronDeposit, useTronApp } from '../helpers/tron.js';

// The TRON deposit scanner under mixtures: for a fresh merchant, payments (exact, short, over, twice), blocks,
// reorganisations shallower than the confirmation count (the orphaned payments re-included, dropped, or some of
// each, now or later), windows of node errors, scanner restarts, racing passes, passes the chain changes under
// (a request of the pass held at the node while blocks are mined, reorganised or paid), and operators' rescans.
// Then blocks past the confirmations and the property, from the ledger and the deposit tables: every payment on
// the final chain is credited once, for what arrived, in the block it is in now; one reorganised away for good
// credits nothing; each deposit shows what was credited; each balance is the sum of its credits; the books
// balance; and the scanner's stored blocks are the chain's, none skipped up to its cursor.
const t = useTronApp({}, 'all', { gate: true });

const USDT = 1_000_000n;
const CONFIRMATIONS = 19;
const EXPECTED = 10n * USDT; // each deposit asks for 10 USDT
const DEPOSITS = 3;
const PATHS = [
  '/wallet/getnowblock',
  '/wallet/getblockbynum',
  '/wallet/getblockbylimitnext',
  '/wallet/gettransactioninfobyblocknum',
] as const;

type Pay = {
  kind: 'pay';
  dep: number;
  how: 'exact' | 'short' | 'over' | 'twice';
  odd: number;
  /** Mined into a block at once (mostly), or left pending (a reorganisation before it is mined may drop it). */
  mined: boolean;
};
type Reorg = {
  kind: 'reorg';
  /** Blocks replaced: `d`, or down to the latest payment's block and `d` − 1 more below it. */
  d: number;
  below: 'head' | 'payment';
  /** Replacement blocks: d + extra (fewer shortens the chain). */
  extra: number;
  keep: 'all' | 'none' | 'some';
  mask: boolean[];
};
type Mine = { kind: 'mine'; k: number; scan: boolean };
type Change = Pay | Reorg | Mine;
type Step =
  | Change
  | { kind: 'scan' }
  | { kind: 'reinclude' }
  | { kind: 'fault'; path: (typeof PATHS)[number]; fault: '429' | '503' | 'empty' | 'slow'; times: number }
  | { kind: 'restart' }
  | { kind: 'race' }
  | { kind: 'midPass'; at: (typeof PATHS)[number]; change: Change }
  | { kind: 'rescan'; back: number };

const pay: fc.Arbitrary<Pay> = fc.record({
  kind: fc.constant('pay' as const),
  dep: fc.integer({ min: 0, max: DEPOSITS - 1 }),
  how: fc.constantFrom('exact' as const, 'short' as const, 'over' as const, 'twice' as const),
  odd: fc.integer({ min: 0, max: 999_999 }),
  mined: fc.constantFrom(true, true, true, false),
});
const reorg: fc.Arbitrary<Reorg> = fc.record({
  kind: fc.constant('reorg' as const),
  // Mostly shallow, as on a real chain; now and then as deep as still unconfirmed.
  d: fc.oneof(
    { weight: 3, arbitrary: fc.integer({ min: 1, max: 3 }) },
    { weight: 1, arbitrary: fc.integer({ min: 1, max: CONFIRMATIONS - 1 }) },
  ),
  extra: fc.integer({ min: -2, max: 3 }),
  keep: fc.constantFrom('all' as const, 'none' as const, 'some' as const),
  below: fc.constantFrom('head' as const, 'payment' as const),
  mask: fc.array(fc.boolean(), { minLength: 8, maxLength: 8 }),
});
const mine: fc.Arbitrary<Mine> = fc.record({
  kind: fc.constant('mine' as const),
  k: fc.integer({ min: 1, max: 8 }),
  scan: fc.constantFrom(true, true, false), // then a pass, mostly
});
const change: fc.Arbitrary<Change> = fc.oneof(pay, reorg, mine);
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 4, arbitrary: pay },
  { weight: 4, arbitrary: mine },
  { weight: 4, arbitrary: fc.constant({ kind: 'scan' as const }) },
  { weight: 3, arbitrary: reorg },
  { weight: 1, arbitrary: fc.constant({ kind: 'reinclude' as const }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('fault' as const),
      path: fc.constantFrom(...PATHS),
      fault: fc.constantFrom('429' as const, '503' as const, 'empty' as const, 'slow' as const),
      times: fc.integer({ min: 1, max: 3 }),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'restart' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'race' as const }) },
  {
    weight: 3,
    arbitrary: fc.record({ kind: fc.constant('midPass' as const), at: fc.constantFrom(...PATHS), change }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('rescan' as const), back: fc.integer({ min: 0, max: 30 }) }),
  },
);

/** Stars (minor units) for token units at the default rate of 1 Star per USDT, rounded down to 0.01. */
const starsOf = (units: bigint) => units / 10_000n;

describe('the TRON scanner under mixtures of payments, blocks, reorganisations, node errors and restarts', () => {
  it('credits every payment on the final chain once and nothing else, the books balanced, no block skipped', {
    timeout: 120_000,
  }, async () => {
    const chain = t.devnet.chain;
    const net = t.app.chains.registry.get('TRC20', 'test')!;
    const { ledger, merchants, log } = t.app.services;
    /** A scanner as a (re)started worker builds it: its own crediting (nothing in flight), the shipped settings. */
    const freshScanner = (): ChainScanner =>
      new ChainScanner(
        net,
        new TronAdapter(net),
        new ChainStore(t.app.pool),
        new DepositCrediting(ledger, merchants, log),
        t.app.pool,
        log,
        {
          maxRangesPerPass: t.app.config.chainScanMaxRanges,
          initialLookback: t.app.config.chainInitialLookbackBlocks,
        },
      );
    /** One pass, retried while another holds the chain's lock. */
    const passOf = async (s: ChainScanner) => {
      for (;;) {
        const r = await s.pass();
        if (!r.skipped) return r;
        await new Promise((res) => setTimeout(res, 20));
      }
    };
    // The chain never reorganises below this block: the highest head so far minus the confirmations (the
    // devnet's own bound, head − solidDepth, moves down with a shortening reorganisation; a real chain's does not).
    let highest = chain.head().number;
    let run = 0;

    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 3, maxLength: 12 }), async (steps) => {
        run++;
        const m = await t.merchant();
        const deps: { id: string; depositAddress: string }[] = [];
        for (let i = 0; i < DEPOSITS; i++) deps.push(await createTronDeposit(t, m, `mx${run}_u${i % 2}`, 10));
        const payments: { txid: string; dep: number; units: bigint }[] = [];
        let scanner = freshScanner();
        const faults: number[] = [];

        /** Makes the change; true when a pass should follow (a mine step's `scan`). */
        const apply = (c: Change): boolean => {
          if (c.kind === 'pay') {
            const units =
              c.how === 'exact'
                ? EXPECTED
                : c.how === 'short'
                  ? EXPECTED / 2n + BigInt(c.odd)
                  : EXPECTED + BigInt(c.odd) + 1n;
            for (const u of c.how === 'twice' ? [EXPECTED / 2n, EXPECTED / 2n + BigInt(c.odd)] : [units]) {
              payments.push({
                txid: t.devnet.sendUsdt(deps[c.dep]!.depositAddress, u),
                dep: c.dep,
                units: u,
              });
            }
            if (c.mined) t.devnet.mine(1);
          } else if (c.kind === 'mine') {
            t.devnet.mine(c.k);
            highest = Math.max(highest, chain.head().number);
            return c.scan;
          } else {
            const head = chain.head().number;
            const paid = payments
              .map((p) => chain.findTx(p.txid)?.block.number)
              .filter((n) => n !== undefined);
            const wanted = c.below === 'payment' && paid.length > 0 ? head - Math.max(...paid) + c.d : c.d;
            const d = Math.min(wanted, head - Math.max(0, highest - (CONFIRMATIONS - 1)));
            if (d < 1) return false;
            const newBlocks = Math.max(0, d + c.extra);
            const r = t.devnet.reorg(d, { reincludeTransactions: c.keep === 'all', newBlocks });
            if (c.keep === 'some') {
              const keep = new Set(r.txids.filter((_, i) => c.mask[i % c.mask.length]));
              chain.orphans = chain.orphans.filter((x) => keep.has(x.txID));
              t.devnet.reincludeOrphans();
            }
          }
          highest = Math.max(highest, chain.head().number);
          return false;
        };

        try {
          for (const s of steps) {
            if (s.kind === 'pay' || s.kind === 'mine' || s.kind === 'reorg') {
              if (apply(s)) await passOf(scanner);
            } else if (s.kind === 'scan') await passOf(scanner);
            else if (s.kind === 'reinclude') t.devnet.reincludeOrphans();
            else if (s.kind === 'fault') {
              faults.push(
                t.devnet.injectFault({ path: s.path, kind: s.fault, times: s.times, delayMs: 100 }),
              );
              await passOf(scanner);
            } else if (s.kind === 'restart') scanner = freshScanner();
            else if (s.kind === 'race') await Promise.all([passOf(scanner), passOf(freshScanner())]);
            else if (s.kind === 'rescan') {
              // An operator's `chain rescan --from <block>` (to the head), while the workers run.
              const cursor = (await t.app.workers!.scanning.store.cursor(net.chain)) ?? 0;
              // A node error fails the command (the operator sees it and may run it again).
              await freshScanner()
                .rescan(Math.max(0, Math.min(chain.head().number, cursor - s.back)), null)
                .catch((err) => {
                  if (!(err instanceof ChainUnavailableError)) throw err;
                });
            } else {
              // The chain changes while a request of the pass is held at the node (or after the pass, when it
              // made no such request).
              const hold = t.gate.hold((r: HeldRequest) => r.path === s.at);
              const done = passOf(scanner);
              const first = await Promise.race([hold.arrived.then(() => 'held'), done.then(() => 'done')]);
              apply(s.change);
              hold.release();
              await done;
              if (first === 'done') await passOf(scanner);
            }
          }
        } finally {
          for (const id of faults) t.devnet.clearFaults(id);
        }

        // The end: what is pending goes into a block, then blocks past the confirmations, and passes until the
        // scanner is at the head.
        t.devnet.mine(1);
        t.devnet.mine(CONFIRMATIONS);
        highest = Math.max(highest, chain.head().number);
        const head = chain.head().number;
        for (let i = 0; ; i++) {
          const r = await passOf(scanner);
          if (!r.error && r.cursor === head + 1 && r.scannedBlocks === 0) break;
          expect(i, `the scanner reaches the head (${JSON.stringify(r)})`).toBeLessThan(20);
        }

        const what = JSON.stringify(steps);
        const ids = deps.map((d) => d.id);
        const rows = (
          await t.app.pool.query(
            `select tx_hash, status, amount_minor::text, credited_stars_minor::text as stars, block_number::int as block,
                    block_hash, ledger_transaction_id from chain_transfers where deposit_id = any($1)`,
            [ids],
          )
        ).rows;
        const postings = (
          await t.app.pool.query(
            `select t.id, t.amount_minor::text, t.metadata->>'txHash' as tx_hash, a.code as user_id
             from ledger_transactions t join accounts a on a.id = t.to_account_id
             where t.merchant_id = $1 and t.type = 'deposit'`,
            [m.merchantId],
          )
        ).rows;
        const final = new Map<string, { block: number; hash: string }>();
        for (const p of payments) {
          const found = chain.findTx(p.txid);
          if (found && found.included.contractRet === 'SUCCESS')
            final.set(p.txid, { block: found.block.number, hash: found.block.blockID });
        }
        const balances = new Map<string, bigint>();
        for (const p of payments) {
          const mine = rows.filter((r) => r.tx_hash === p.txid);
          const posted = postings.filter((x) => x.tx_hash === p.txid);
          const at = final.get(p.txid);
          if (!at) {
            expect(
              mine.filter((r) => r.status !== 'orphaned'),
              `${p.txid} is not on the chain: nothing credited (${what})`,
            ).toEqual([]);
            expect(posted, `${p.txid} is not on the chain: no posting (${what})`).toEqual([]);
            continue;
          }
          const stars = starsOf(p.units);
          expect(mine, `${p.txid} on the chain at ${at.block}: credited once (${what})`).toEqual([
            {
              tx_hash: p.txid,
              status: 'credited',
              amount_minor: String(p.units),
              stars: String(stars),
              block: at.block,
              block_hash: at.hash,
              ledger_transaction_id: stars > 0n ? posted[0]?.id : null,
            },
          ]);
          expect(posted.map((x) => [x.amount_minor, x.user_id])).toEqual(
            stars > 0n ? [[String(stars), `mx${run}_u${p.dep % 2}`]] : [],
          );
          const user = `mx${run}_u${p.dep % 2}`;
          balances.set(user, (balances.get(user) ?? 0n) + stars);
        }
        expect(rows.length, `no transfer recorded but the payments (${what})`).toBe(
          new Set(rows.map((r) => r.tx_hash)).size,
        );
        // Each deposit shows what was credited: the sum, the count, the flags the docs give.
        const deposits = (
          await t.app.pool.query(
            `select id, status, amount_received_minor::text as received, amount_confirming_minor::text as confirming,
                    confirming_tx_hash, payments, flags from deposits where id = any($1)`,
            [ids],
          )
        ).rows;
        for (const [i, d] of deps.entries()) {
          const paid = payments.filter((p) => p.dep === i && final.has(p.txid));
          const received = paid.reduce((s, p) => s + p.units, 0n);
          const flags = [
            ...(paid.length > 1 ? ['multiple'] : []),
            ...(paid.length > 0 && received > EXPECTED ? ['overpaid'] : []),
            ...(paid.length > 0 && received < EXPECTED ? ['underpaid'] : []),
          ];
          expect(
            deposits.find((x) => x.id === d.id),
            `deposit ${i} (${what})`,
          ).toMatchObject({
            status: paid.length > 0 ? 'confirmed' : 'pending',
            received: String(received),
            confirming: '0',
            confirming_tx_hash: null,
            payments: paid.length,
            flags,
          });
        }
        const accounts = (
          await t.app.pool.query(
            `select code, balance_minor::text from accounts where merchant_id = $1 and mode = 'test' and kind = 'user'`,
            [m.merchantId],
          )
        ).rows;
        expect(
          Object.fromEntries(
            accounts.filter((a) => a.balance_minor !== '0').map((a) => [a.code, a.balance_minor]),
          ),
          `balances (${what})`,
        ).toEqual(
          Object.fromEntries([...balances].filter(([, v]) => v > 0n).map(([k, v]) => [k, String(v)])),
        );
        await checkLedgerInvariants(t.app.pool, { merchantId: m.merchantId });

        // The scanner's stored blocks are the chain's, one for every number up to its cursor.
        const blocks = (
          await t.app.pool.query(
            `select number::int, hash, parent_hash from chain_blocks where chain = $1 order by number`,
            [net.chain],
          )
        ).rows;
        expect(blocks.at(-1)?.number).toBe(head);
        blocks.forEach((b, j) => {
          if (j > 0) expect(b.number, 'no block skipped').toBe(blocks[j - 1]!.number + 1);
          expect(b.hash, `block ${b.number} is the chain's (${what})`).toBe(chain.blocks[b.number]!.blockID);
          expect(b.parent_hash).toBe(chain.blocks[b.number - 1]?.blockID ?? b.parent_hash);
        });
      }),
      {
        ...fuzzParams(),
        numRuns: Number(process.env.MX_RUNS ?? 8),
        // Two mixtures the random draws seldom make (the runs of the random ones are not enough to meet them):
        // an operator's rescan to the head records a payment in the tip the live scanner has not reached, then a
        // reorganisation drops it (seen while writing this test); a payment the live scanner saw is dropped by a
        // reorganisation, and a rescan (of other blocks) credits it before the live scanner runs again (found by
        // this property). Each was credited (test/integration/deposits-rescan-reorg-tron.test.ts).
        examples: [
          [
            [
              { kind: 'scan' },
              { kind: 'pay', dep: 0, how: 'exact', odd: 0, mined: false },
              { kind: 'mine', k: 3, scan: false },
              { kind: 'rescan', back: 0 },
              { kind: 'reorg', d: 3, below: 'head', extra: 0, keep: 'none', mask: [] },
            ],
          ],
          [
            [
              { kind: 'pay', dep: 1, how: 'short', odd: 0, mined: true },
              { kind: 'mine', k: 1, scan: true },
              { kind: 'mine', k: 9, scan: false },
              { kind: 'reorg', d: 1, below: 'payment', extra: 0, keep: 'none', mask: [] },
              { kind: 'mine', k: 8, scan: false },
              { kind: 'rescan', back: 0 },
            ],
          ],
        ],
      },
    );
    await checkHouseInvariants(t.app.pool);
  });
});
