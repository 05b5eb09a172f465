import type { ScanResult } from '../../chains/types.js';
import { inTransaction, type Pool, type PoolClient } from '../../db/database.js';
import { newId } from '../../lib/ids.js';
import { JsonNumber } from '../../lib/json.js';
import type { EventDraft } from '../events/index.js';
import { insertEvents } from '../events/index.js';
import { refreshDeposits } from './confirming.js';
import { depositUpdated, recordBlocks, recordTransfers, recordUnexpected } from './scan-writes.js';
import { type DepositRow, depositMessage } from './view.js';

// What the scanners persist: the cursor (advanced only in the transaction that stores a fully processed
// range), recent block hashes for reorg detection, every observed transfer to a deposit address, and
// unexpected funds. Deposit status changes made here write `deposit.updated` events in the same transaction.

export { depositUpdated, REORG_WINDOW, ReorgDetected } from './scan-writes.js';

export class ChainStore {
  constructor(private readonly pool: Pool) {}

  async cursor(chain: string): Promise<number | null> {
    const r = await this.pool.query<{ next_block: bigint }>(
      'select next_block from chain_cursors where chain = $1',
      [chain],
    );
    return r.rows[0] ? Number(r.rows[0].next_block) : null;
  }

  async setHead(chain: string, head: number, initialCursor: number): Promise<void> {
    await this.pool.query(
      `insert into chain_cursors (chain, next_block, head_block, head_seen_at) values ($1, $3, $2, now())
       on conflict (chain) do update set head_block = $2, head_seen_at = now(), updated_at = now()`,
      [chain, head, initialCursor],
    );
  }

  /** Addresses still watched: deposits whose watch window (expiry + late window) has not passed. */
  async watched(chain: string): Promise<Set<string>> {
    const r = await this.pool.query<{ address: string }>(
      'select address from deposits where chain = $1 and watch_until > now()',
      [chain],
    );
    return new Set(r.rows.map((x) => x.address));
  }

  async recentBlocks(chain: string, limit: number): Promise<{ number: number; hash: string }[]> {
    const r = await this.pool.query<{ number: bigint; hash: string }>(
      'select number, hash from chain_blocks where chain = $1 order by number desc limit $2',
      [chain, limit],
    );
    return r.rows.map((b) => ({ number: Number(b.number), hash: b.hash }));
  }

  /**
   * Where each deposit address of the chain may receive a payment until (its watch window), for a rescan
   * that applies the live scanner's rules to old blocks.
   */
  async watchWindows(chain: string): Promise<Map<string, Date>> {
    const r = await this.pool.query<{ address: string; watch_until: Date }>(
      'select address, watch_until from deposits where chain = $1',
      [chain],
    );
    return new Map(r.rows.map((x) => [x.address, x.watch_until]));
  }

  /**
   * Stores one fully scanned range and moves the cursor past it, atomically. With `nextBlock` null only the
   * observations are stored: the cursor and the block hashes of the reorg window stay as they are (a rescan
   * goes through `recordRescanned`, which chooses the observations first).
   */
  async record(chain: string, result: ScanResult, nextBlock: number | null): Promise<void> {
    await inTransaction(this.pool, (c) => writeRange(c, chain, result, nextBlock));
  }

  /**
   * Stores what a rescan (ChainScanner.rescan) found in blocks that can no longer change under the live
   * scanner: a block the live scanner has passed and recorded with the same hash (or passed so long ago that
   * its hash is no longer kept), or one at or below `confirmedHeight`, deep enough to credit. The rest — the
   * unconfirmed tip the live scanner has not reached, or a block it recorded with another hash — is left to the
   * live scanner.
   *
   * Why: only the live scanner follows reorganisations (its stored hashes, ChainStore.rollback). A payment
   * the rescan recorded in a tip block the live scanner had not reached, reorganised away before it got there,
   * was never rolled back: it stayed `seen` in a block no longer on the chain and was credited 19 blocks
   * later, Stars for tokens that never arrived. The cursor row is locked first, so a rollback (which locks it
   * too) runs wholly before or after this choice: never between the choice and the rows it lets through.
   */
  async recordRescanned(chain: string, result: ScanResult, confirmedHeight: number): Promise<void> {
    await inTransaction(this.pool, async (c) => {
      const cursor = await c.query<{ next_block: string }>(
        'select next_block from chain_cursors where chain = $1 for share',
        [chain],
      );
      const next = cursor.rows[0] ? Number(cursor.rows[0].next_block) : 0;
      const stored = await c.query<{ number: string; hash: string }>(
        'select number, hash from chain_blocks where chain = $1 and number = any($2::bigint[])',
        [chain, result.blocks.map((b) => b.number)],
      );
      const storedHash = new Map(stored.rows.map((b) => [Number(b.number), b.hash]));
      const readHash = new Map(result.blocks.map((b) => [b.number, b.hash]));
      const settled = (number: number, hash = readHash.get(number)) => {
        const known = storedHash.get(number);
        return known !== undefined ? known === hash : number < next || number <= confirmedHeight;
      };
      await writeRange(
        c,
        chain,
        {
          blocks: [],
          transfers: result.transfers.filter((t) => settled(t.blockNumber, t.blockHash)),
          unexpected: result.unexpected.filter((u) => settled(u.blockNumber)),
        },
        null,
      );
    });
  }

  /**
   * Forgets everything above `fork`: its block hashes, and transfers seen in orphaned blocks (they are
   * credited again only if they reappear). Their deposits' confirming amount and transaction drop them;
   * deposits left with nothing seen go back to pending or expired.
   */
  async rollback(chain: string, fork: number): Promise<number> {
    return inTransaction(this.pool, async (c) => {
      // Before anything else: a rescan's choice of what to record (recordRescanned) waits for this, or this for it.
      await c.query('select 1 from chain_cursors where chain = $1 for update', [chain]);
      await c.query('delete from chain_blocks where chain = $1 and number > $2', [chain, fork]);
      const orphaned = await c.query<{ deposit_id: string }>(
        `update chain_transfers set status = 'orphaned' where chain = $1 and block_number > $2 and status = 'seen'
         returning deposit_id`,
        [chain, fork],
      );
      const changed = await refreshDeposits(c, [...new Set(orphaned.rows.map((r) => r.deposit_id))]);
      await insertEvents(c, changed.map(depositUpdated));
      await c.query(
        'update chain_cursors set next_block = least(next_block, $2), updated_at = now() where chain = $1',
        [chain, fork + 1],
      );
      return orphaned.rowCount ?? 0;
    });
  }

  /**
   * The node serves a new chain (an in-process devnet restarted): what was seen of the old one is orphaned
   * as a rollback to before block 0 would, and scanning starts again at `next`.
   */
  async restartAt(chain: string, next: number): Promise<void> {
    await this.rollback(chain, -1);
    await this.pool.query('update chain_cursors set next_block = $2, updated_at = now() where chain = $1', [
      chain,
      next,
    ]);
  }

  /** The deposits of these ids, by id. */
  async depositsByIds(ids: string[]): Promise<Map<string, DepositRow>> {
    const r = await this.pool.query<DepositRow>('select * from deposits where id = any($1)', [ids]);
    return new Map(r.rows.map((d) => [d.id, d]));
  }

  /**
   * Transfers seen but not credited yet, oldest first: those in blocks up to `upTo` (all when not given), of
   * deposits of merchants other than `exceptMerchants` (those whose payments wait while their rate is 0, so
   * that however many wait they never hold back the other merchants' credits).
   */
  async uncredited(chain: string, opts: { upTo?: number; exceptMerchants?: string[]; limit?: number } = {}) {
    const r = await this.pool.query<{
      id: bigint;
      deposit_id: string;
      block_number: bigint;
      tx_hash: string;
      amount_minor: string;
      block_time: Date;
      log_index: number;
      block_hash: string;
    }>(
      `select t.id, t.deposit_id, t.block_number, t.tx_hash, t.amount_minor, t.block_time, t.log_index, t.block_hash
       from chain_transfers t join deposits d on d.id = t.deposit_id
       where t.chain = $1 and t.status = 'seen' and ($2::bigint is null or t.block_number <= $2)
         and d.merchant_id <> all($3::text[])
       order by t.block_number, t.id limit $4`,
      [chain, opts.upTo ?? null, opts.exceptMerchants ?? [], opts.limit ?? 1000],
    );
    return r.rows.map((x) => ({ ...x, id: Number(x.id), block_number: Number(x.block_number) }));
  }

  /** The merchants with transfers seen and not credited yet in blocks up to `upTo`, and how many each. */
  async uncreditedByMerchant(chain: string, upTo: number): Promise<Map<string, number>> {
    const r = await this.pool.query<{ merchant_id: string; n: number }>(
      `select d.merchant_id, count(*)::int as n from chain_transfers t join deposits d on d.id = t.deposit_id
       where t.chain = $1 and t.status = 'seen' and t.block_number <= $2 group by d.merchant_id`,
      [chain, upTo],
    );
    return new Map(r.rows.map((x) => [x.merchant_id, x.n]));
  }

  /** Refreshes the confirmation count of deposits still confirming; emits deposit.updated when it moved. */
  async updateConfirmations(chain: string, head: number): Promise<void> {
    await inTransaction(this.pool, async (c) => {
      const r = await c.query<DepositRow>(
        `update deposits d set confirmations = least(x.conf, 2147483647), updated_at = now()
         from (select deposit_id, ($2::bigint - min(block_number) + 1)::int as conf from chain_transfers
               where chain = $1 and status = 'seen' group by deposit_id) x
         where d.id = x.deposit_id and d.status = 'confirming' and d.confirmations <> x.conf
         returning d.*`,
        [chain, head],
      );
      await insertEvents(c, r.rows.map(depositUpdated));
    });
  }

  /** Pending deposits past their expiry: `expired` plus `deposit.failed` (reason expired). */
  async expire(limit = 500): Promise<number> {
    return inTransaction(this.pool, async (c) => {
      const r = await c.query<DepositRow>(
        `update deposits set status = 'expired', failure_reason = 'expired', updated_at = now()
         where id in (select id from deposits where status = 'pending' and expires_at < now() order by expires_at limit $1 for update skip locked)
         returning *`,
        [limit],
      );
      const events: EventDraft[] = [];
      for (const row of r.rows) {
        events.push(depositUpdated(row));
        events.push({
          id: newId('evt'),
          type: 'deposit.failed',
          merchantId: row.merchant_id,
          mode: row.mode,
          data: {
            id: row.id,
            userId: row.user_id,
            amount: new JsonNumber(depositMessage(row).amount),
            currency: row.currency,
            network: row.network,
            depositAddress: row.address,
            reason: 'expired',
            expiresAt: row.expires_at.toISOString(),
          },
          createdAt: new Date(),
        });
      }
      await insertEvents(c, events);
      return r.rowCount ?? 0;
    });
  }
}

/** One scanned range's writes (ChainStore.record): blocks and cursor only when `nextBlock` is given. */
async function writeRange(
  c: PoolClient,
  chain: string,
  result: ScanResult,
  nextBlock: number | null,
): Promise<void> {
  if (nextBlock !== null) {
    // First (the transaction makes it atomic all the same): every writer of the chain's observations takes the
    // cursor row before their rows (recordRescanned, rollback), so two of them never wait for each other in a
    // circle.
    await c.query('update chain_cursors set next_block = $2, updated_at = now() where chain = $1', [
      chain,
      nextBlock,
    ]);
  }
  const first = result.blocks[0];
  if (first && nextBlock !== null) await recordBlocks(c, chain, result.blocks, nextBlock);
  if (result.transfers.length > 0) await recordTransfers(c, chain, result.transfers);
  if (result.unexpected.length > 0) await recordUnexpected(c, chain, result.unexpected);
}
