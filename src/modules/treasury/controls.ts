import { randomUUID } from 'node:crypto';
import { inTransaction, type Pool, type PoolClient } from '../../db/database.js';
import { ConflictError, NotFoundError, UnsupportedNetworkError, ValidationError } from '../../lib/errors.js';
import type { Logger } from '../../lib/logger.js';
import { recordAudit } from '../admin/index.js';
import { recordRequest } from './requests.js';
import { OPEN_SWEEP } from './store.js';

// What ops do to the sweeping of one network (admin mutations, audited): run a pass now, pause or resume it
// (persisted in `treasury_controls`; a paused pass only follows what is already on its way), and sweep one
// deposit address now whatever the threshold. The API never signs: it checks, records and enqueues a pass on the
// network's sweep queue, which the signer runs (jobs/sweeps.ts).

export interface SweepRequest {
  network: string;
  mode: 'live' | 'test';
  /** The deposit address for `sweepAddress`; null for a whole pass. */
  address: string | null;
  /** The unswept credited base units of the address (sweepAddress), as text. */
  unsweptBaseUnits: string | null;
  jobId: string;
}

export interface SweepingControl {
  network: string;
  mode: 'live' | 'test';
  paused: boolean;
  /** Who paused or resumed it: the first of repeated pauses (or resumes), not a later no-op one. */
  changedBy: string;
  changedAt: Date;
  /** False when it already was so: nothing changed, nothing audited, the original who and when are kept. */
  changed: boolean;
}

/** Adds a pass with this id to a network's sweep queue. */
export type EnqueueSweep = (chain: string, job: { address?: string }, jobId: string) => Promise<void>;

const REASON_MAX = 500;

const newJobId = () => `ops-${randomUUID()}`;

export class TreasuryControls {
  constructor(
    private readonly pool: Pool,
    /** The swept networks, by chain key (`ERC20:test`): SWEEP_POLICY's keys. */
    private readonly swept: readonly string[],
    private readonly enqueue: EnqueueSweep,
    private readonly log?: Logger,
  ) {}

  private chainOf(network: string, mode: string): { chain: string; network: string; mode: 'live' | 'test' } {
    if (mode !== 'live' && mode !== 'test') throw new ValidationError('mode must be live or test', 'mode');
    const chain = `${network}:${mode}`;
    if (!this.swept.includes(chain))
      throw new UnsupportedNetworkError(
        `${network} (${mode}) is not swept here; swept: ${this.swept.join(', ') || 'none'}`,
      );
    return { chain, network, mode };
  }

  /** Refuses while the network is paused; holds its control row (if any) until the transaction ends. */
  private async refuseWhilePaused(c: PoolClient, chain: string, network: string, mode: string) {
    const r = await c.query('select paused from treasury_controls where chain = $1 for share', [chain]);
    if (r.rows[0]?.paused)
      throw new ConflictError(`sweeping of ${network} (${mode}) is paused; resume it first`, 'network');
  }

  async sweepNow(network: string, mode: string, actor: string): Promise<SweepRequest> {
    const n = this.chainOf(network, mode);
    const jobId = newJobId();
    // The audit row first, the job only after it committed (as sweepAddress). The job used to be queued inside
    // the transaction: a commit that failed after it left a pass no audit row accounts for, and a Redis call
    // that hung held the network's control row, so pausing the network waited for Redis. A whole pass is what
    // the network's scheduled pass runs every SWEEP_INTERVAL_MS anyway (it honours a pause that comes later), so
    // a job Redis refuses is logged and only delays the pass: the request is audited and answered.
    await inTransaction(this.pool, async (c) => {
      await this.refuseWhilePaused(c, n.chain, network, mode);
      await recordAudit(c, {
        actor,
        action: 'treasury.sweep_now',
        targetType: 'sweep_network',
        targetId: n.chain,
        mode: n.mode,
        details: { jobId },
      });
    });
    await this.enqueue(n.chain, {}, jobId).catch((err) =>
      this.log?.warn(
        { chain: n.chain, jobId, err: (err as Error).message },
        'sweepNow: could not queue a pass now; the next scheduled pass runs it',
      ),
    );
    return { network: n.network, mode: n.mode, address: null, unsweptBaseUnits: null, jobId };
  }

  async setPaused(
    network: string,
    mode: string,
    paused: boolean,
    reasonInput: string | null | undefined,
    actor: string,
  ): Promise<SweepingControl> {
    const n = this.chainOf(network, mode);
    const reason = reasonInput?.trim() || null;
    if (reason && reason.length > REASON_MAX)
      throw new ValidationError(`reason must be at most ${REASON_MAX} characters`, 'reason');
    return inTransaction(this.pool, async (c) => {
      // Pausing a paused network (or resuming a running one) changes nothing: the row keeps who paused it and
      // when (it used to be overwritten, so the first pause's who and when were lost), as a key revoked twice
      // keeps its first revokedAt. The conflicting row stays locked until the transaction ends.
      const r = await c.query<{ changed_at: Date }>(
        `insert into treasury_controls (chain, network, mode, paused, changed_by) values ($1, $2, $3, $4, $5)
         on conflict (chain) do update set paused = $4, changed_by = $5, changed_at = now()
           where treasury_controls.paused is distinct from $4
         returning changed_at`,
        [n.chain, n.network, n.mode, paused, actor],
      );
      if (r.rowCount === 0) {
        const kept = await c.query<{ changed_by: string; changed_at: Date }>(
          'select changed_by, changed_at from treasury_controls where chain = $1',
          [n.chain],
        );
        const { changed_by: changedBy, changed_at: changedAt } = kept.rows[0]!;
        return { network: n.network, mode: n.mode, paused, changedBy, changedAt, changed: false };
      }
      await recordAudit(c, {
        actor,
        action: paused ? 'treasury.pause' : 'treasury.resume',
        targetType: 'sweep_network',
        targetId: n.chain,
        mode: n.mode,
        reason,
      });
      const changedAt = r.rows[0]!.changed_at;
      return { network: n.network, mode: n.mode, paused, changedBy: actor, changedAt, changed: true };
    });
  }

  async sweepAddress(
    network: string,
    mode: string,
    addressInput: string,
    actor: string,
  ): Promise<SweepRequest> {
    const n = this.chainOf(network, mode);
    const wanted = addressInput.trim();
    if (!/^[0-9A-Za-z]{20,64}$/.test(wanted))
      throw new ValidationError('address must be a deposit address', 'address');
    const r = await this.pool.query<{ address: string; unswept: string; open: boolean }>(
      `select d.address, (d.amount_received_minor - coalesce(s.swept, 0))::text as unswept,
              exists (select 1 from sweeps o where o.chain = d.chain and o.from_address = d.address and o.${OPEN_SWEEP}) as open
       from deposits d
       left join lateral (select sum(amount) as swept from sweeps
                          where chain = d.chain and from_address = d.address and kind = 'sweep' and status <> 'failed') s on true
       where d.chain = $1 and (d.address = $2 or (d.address like '0x%' and lower(d.address) = lower($2)))
       order by d.amount_received_minor desc limit 1`,
      [n.chain, wanted],
    );
    const row = r.rows[0];
    if (!row) throw new NotFoundError(`Deposit address on ${network} (${mode})`, wanted, 'address');
    if (row.open) throw new ConflictError(`a sweep of ${row.address} is already under way`, 'address');
    if (BigInt(row.unswept) <= 0n)
      throw new ConflictError(`${row.address} has nothing credited left to sweep`, 'address');
    const jobId = newJobId();
    // Request and audit row together; the job only after they committed. The request is what the signer
    // serves (the next unpaused pass plans the address first), so a pause that comes after it, a job Redis
    // refused or lost, only delays it, and no pass can run before the request is there to serve.
    await inTransaction(this.pool, async (c) => {
      await this.refuseWhilePaused(c, n.chain, network, mode);
      if (!(await recordRequest(c, { chain: n.chain, address: row.address, requestedBy: actor, jobId })))
        throw new ConflictError(`a sweep of ${row.address} is already requested`, 'address');
      await recordAudit(c, {
        actor,
        action: 'treasury.sweep_address',
        targetType: 'deposit_address',
        targetId: row.address,
        mode: n.mode,
        details: { network: n.network, jobId, unswept: row.unswept },
      });
    });
    await this.enqueue(n.chain, { address: row.address }, jobId).catch((err) =>
      this.log?.warn(
        { chain: n.chain, address: row.address, err: (err as Error).message },
        'sweepAddress: could not queue a pass now; the next scheduled pass serves the request',
      ),
    );
    return { network: n.network, mode: n.mode, address: row.address, unsweptBaseUnits: row.unswept, jobId };
  }
}

/** Enqueues on BullMQ sweep queues; a `sweepAddress` job is retried while another process's pass holds the lock. */
export function bullEnqueue(queues: {
  sweeps(chain: string): { add(name: string, data: { address?: string }, opts: object): Promise<unknown> };
}): EnqueueSweep {
  return async (chain, job, jobId) => {
    await queues.sweeps(chain).add('sweep', job, {
      jobId,
      attempts: job.address ? 10 : 1,
      backoff: { type: 'fixed', delay: 1000 },
      removeOnComplete: 100,
      removeOnFail: 500,
    });
  };
}
