import { afterEach, describe, expect, it } from 'vitest';
import { TreasuryControls } from '../../src/modules/treasury/index.js';
import { useTestApp } from '../helpers/app.js';
import { capturedLog } from '../helpers/log.js';

// `sweepNow` (ops' "run a pass now") queued its job inside the database transaction that writes its audit
// row. A commit that failed after the job was queued left a pass no audit row accounts for; and while the
// Redis call waited, the transaction held the network's control row (FOR SHARE), so pausing the network
// waited for Redis. The row is the record: the job is queued once the audit row committed, and a job Redis
// refuses is logged and answered (the network's scheduled pass runs a whole pass anyway). No chain is needed:
// the controls are driven directly, with a recording enqueue.

const t = useTestApp();
const CHAIN = 'ERC20:test';

const audited = async (jobId: string) =>
  (
    await t.app.pool.query(
      `select 1 from admin_audit where action = 'treasury.sweep_now' and details->>'jobId' = $1`,
      [jobId],
    )
  ).rowCount;

afterEach(async () => {
  await t.app.pool.query('drop trigger if exists sweep_now_refused on admin_audit');
  await t.app.pool.query('drop function if exists sweep_now_refused()');
});

describe('sweepNow', () => {
  it('queues its pass only once its audit row is committed', async () => {
    const seen: { jobId: string; auditedThen: number | null }[] = [];
    const controls = new TreasuryControls(t.app.pool, [CHAIN], async (chain, job, jobId) => {
      expect([chain, job]).toEqual([CHAIN, {}]);
      // Read from another connection: only a committed row is seen.
      seen.push({ jobId, auditedThen: await audited(jobId) });
    });
    const r = await controls.sweepNow('ERC20', 'test', 'admin:carol');
    expect(seen).toEqual([{ jobId: r.jobId, auditedThen: 1 }]);
  });

  it('queues nothing when its transaction fails at commit', async () => {
    // A deferred constraint trigger raises at COMMIT: the last moment the transaction can fail.
    await t.app.pool.query(`create function sweep_now_refused() returns trigger language plpgsql as $$
      begin raise exception 'commit refused by the test'; end $$`);
    await t.app.pool.query(`create constraint trigger sweep_now_refused after insert on admin_audit
      deferrable initially deferred for each row when (new.action = 'treasury.sweep_now')
      execute function sweep_now_refused()`);
    const queued: string[] = [];
    const controls = new TreasuryControls(t.app.pool, [CHAIN], async (_chain, _job, jobId) => {
      queued.push(jobId);
    });
    await expect(controls.sweepNow('ERC20', 'test', 'admin:dave')).rejects.toThrow(
      /commit refused by the test/,
    );
    expect(queued).toEqual([]);
    expect((await t.app.pool.query(`select 1 from admin_audit where actor = 'admin:dave'`)).rowCount).toBe(0);
  });

  it('answers and keeps its audit row when Redis refuses the job, and says so once in the log', async () => {
    const { log, lines } = capturedLog<{ level: number; msg: string; jobId?: string; chain?: string }>();
    const controls = new TreasuryControls(
      t.app.pool,
      [CHAIN],
      async () => {
        throw new Error('Redis is away');
      },
      log,
    );
    const r = await controls.sweepNow('ERC20', 'test', 'admin:erin');
    expect(r).toMatchObject({ network: 'ERC20', mode: 'test', address: null });
    expect(await audited(r.jobId)).toBe(1);
    expect(lines).toEqual([
      expect.objectContaining({
        level: 40,
        chain: CHAIN,
        jobId: r.jobId,
        msg: 'sweepNow: could not queue a pass now; the next scheduled pass runs it',
      }),
    ]);
  });
});
