import { Wallet } from 'ethers';
import { describe, expect, it } from 'vitest';
import { DISPERSE_ADDRESS } from '../../src/devnet/evm/index.js';
import { reconcileNetwork, TreasuryControls } from '../../src/modules/treasury/index.js';
import { inProcessCliRunner } from '../helpers/cli-in-process.js';
import { databaseUrl } from '../helpers/db.js';
import { fundHot, requestDeposit } from '../helpers/evm.js';
import { checkHouseInvariants } from '../helpers/invariants.js';
import { useSweptEvmApp } from '../helpers/treasury.js';

// Ops' sweeping controls on the hardhat devnet, through GraphQL with an admin token: a pause that the scheduled
// pass and `sweepNow` honour (visible in ops.treasury), `sweepNow` running a pass on the network's queue, and
// `sweepAddress` sweeping one address below the threshold, with its refusals as result-union members. Every
// action is audited; the books stay reconciled.

const HOT = Wallet.createRandom();
const { t, sweeper, pass, queueIdle } = useSweptEvmApp(HOT.privateKey, {
  threshold: '100',
  disperse: DISPERSE_ADDRESS,
});
const E6 = 1_000_000n;
async function until(what: string, done: () => Promise<boolean>, mine = false) {
  for (let i = 0; i < 400; i++) {
    if (await done()) return;
    if (mine) {
      await pass();
      await t.devnet.mine(i < 2 ? 1 : 12);
    } else await new Promise((res) => setTimeout(res, 25));
  }
  throw new Error(`timed out: ${what}`);
}
const sweepOf = async (address: string) =>
  (
    await t.app.pool.query<{ status: string; amount: string }>(
      `select status, amount::text from sweeps where from_address = $1 and kind = 'sweep' order by id desc limit 1`,
      [address],
    )
  ).rows[0];

const SWEEP_NOW = `mutation($n: String!, $m: Mode!) { sweepNow(network: $n, mode: $m) {
  __typename ... on SweepRequest { network mode jobId } ... on Error { code message param } } }`;
const PAUSE = `mutation($n: String!, $m: Mode!, $p: Boolean!, $r: String) {
  pauseSweeping(network: $n, mode: $m, paused: $p, reason: $r) {
  __typename ... on SweepingControl { network mode paused changedBy } ... on Error { code message param } } }`;
const SWEEP_ADDRESS = `mutation($n: String!, $m: Mode!, $a: String!) { sweepAddress(network: $n, mode: $m, address: $a) {
  __typename ... on SweepRequest { address unsweptBaseUnits jobId } ... on Error { code message param } } }`;
const TREASURY = '{ ops { treasury { network mode paused pausedBy } } }';

describe('treasury admin mutations', () => {
  it('pauses and resumes a network, sweeps now, sweeps one address below the threshold, audited', {
    timeout: 180_000,
  }, async () => {
    await queueIdle(); // the pass the signer queues at start has run: passes here are the test's
    await fundHot(t, HOT.address, 10n ** 19n);
    const { token } = await t.app.services.tokens.issueAdmin(600, 'alice');
    const admin = { bearer: token };
    const gql = async (q: string, v: Record<string, unknown>) => {
      const r = await t.graphql(admin, q, v);
      expect(r.body.errors).toBeUndefined();
      return Object.values(r.body.data)[0] as Record<string, unknown>;
    };

    const m = await t.merchant();
    const small = await requestDeposit(t, m, 'small', 'ERC20', '5');
    const large = await requestDeposit(t, m, 'large', 'ERC20', '200');
    await t.devnet.sendToken(t.devnet.usdt6, small.depositAddress, 5n * E6);
    await t.devnet.sendToken(t.devnet.usdt6, large.depositAddress, 200n * E6);
    await t.devnet.mine(12);
    await t.scan('ERC20:test');

    // Merchants may not; an unknown network, a bad address, an unknown one: refused, nothing queued.
    const asMerchant = await t.graphql(m, SWEEP_NOW, { n: 'ERC20', m: 'TEST' });
    expect(asMerchant.body.data?.sweepNow?.code ?? asMerchant.body.errors?.[0]?.extensions?.code).toBe(
      'forbidden',
    );
    expect(await gql(SWEEP_NOW, { n: 'BEP20', m: 'TEST' })).toMatchObject({ code: 'unsupported_network' });
    expect(await gql(PAUSE, { n: 'ERC20', m: 'LIVE', p: true })).toMatchObject({
      code: 'unsupported_network',
    });
    expect(await gql(SWEEP_ADDRESS, { n: 'ERC20', m: 'TEST', a: 'not an address' })).toMatchObject({
      code: 'invalid_request',
      param: 'address',
    });
    expect(
      await gql(SWEEP_ADDRESS, { n: 'ERC20', m: 'TEST', a: Wallet.createRandom().address }),
    ).toMatchObject({ code: 'not_found', param: 'address' });
    expect(await gql(PAUSE, { n: 'ERC20', m: 'TEST', p: true, r: 'x'.repeat(501) })).toMatchObject({
      code: 'invalid_request',
      param: 'reason',
    });

    // Paused: visible in ops.treasury; the scheduled pass plans nothing, sweepNow and sweepAddress are refused.
    expect(await gql(PAUSE, { n: 'ERC20', m: 'TEST', p: true, r: 'hot wallet rotation' })).toMatchObject({
      __typename: 'SweepingControl',
      paused: true,
      changedBy: 'admin:alice',
    });
    const ops = await t.graphql(admin, TREASURY);
    expect(ops.body.data.ops.treasury).toContainEqual({
      network: 'ERC20',
      mode: 'TEST',
      paused: true,
      pausedBy: 'admin:alice',
    });
    expect(await pass()).toMatchObject({ paused: true, planned: 0, toppedUp: 0, signed: 0 });
    expect(await sweepOf(large.depositAddress)).toBeUndefined();
    expect(await gql(SWEEP_NOW, { n: 'ERC20', m: 'TEST' })).toMatchObject({ code: 'conflict' });
    expect(await gql(SWEEP_ADDRESS, { n: 'ERC20', m: 'TEST', a: small.depositAddress })).toMatchObject({
      code: 'conflict',
    });

    // Resumed: sweepNow queues a pass that the signer's sweep job runs; it plans the address above the threshold
    // only.
    expect(await gql(PAUSE, { n: 'ERC20', m: 'TEST', p: false })).toMatchObject({ paused: false });
    const now = await gql(SWEEP_NOW, { n: 'ERC20', m: 'TEST' });
    expect(now).toMatchObject({ __typename: 'SweepRequest', network: 'ERC20', mode: 'TEST' });
    await until(
      'the queued pass plans the large deposit',
      async () => !!(await sweepOf(large.depositAddress)),
    );
    expect(await sweepOf(small.depositAddress)).toBeUndefined();
    await until(
      'large swept',
      async () => (await sweepOf(large.depositAddress))?.status === 'completed',
      true,
    );

    // sweepAddress: below the threshold, swept anyway; refused while its sweep is open and once nothing is left.
    const one = await gql(SWEEP_ADDRESS, { n: 'ERC20', m: 'TEST', a: small.depositAddress.toLowerCase() });
    expect(one).toMatchObject({
      __typename: 'SweepRequest',
      address: small.depositAddress,
      unsweptBaseUnits: String(5n * E6),
    });
    await until(
      'the queued pass plans the small deposit',
      async () => !!(await sweepOf(small.depositAddress)),
    );
    expect(await gql(SWEEP_ADDRESS, { n: 'ERC20', m: 'TEST', a: small.depositAddress })).toMatchObject({
      code: 'conflict',
      message: expect.stringMatching(/under way/),
    });
    await until(
      'small swept',
      async () => (await sweepOf(small.depositAddress))?.status === 'completed',
      true,
    );
    expect(await sweepOf(small.depositAddress)).toMatchObject({ amount: String(5n * E6) });
    expect(await gql(SWEEP_ADDRESS, { n: 'ERC20', m: 'TEST', a: small.depositAddress })).toMatchObject({
      code: 'conflict',
      message: expect.stringMatching(/nothing credited/),
    });

    // The books match the chain; every action is in the audit trail with its admin.
    const checks = await reconcileNetwork(sweeper().deps);
    expect(checks.filter((c) => c.difference !== 0n)).toEqual([]);
    await checkHouseInvariants(t.app.pool);
    const audit = await t.app.pool.query<{ action: string; actor: string; target_id: string }>(
      `select action, actor, target_id from admin_audit where action like 'treasury.%' order by id`,
    );
    expect(audit.rows.map((r) => r.action)).toEqual([
      'treasury.pause',
      'treasury.resume',
      'treasury.sweep_now',
      'treasury.sweep_address',
    ]);
    expect(new Set(audit.rows.map((r) => r.actor))).toEqual(new Set(['admin:alice']));
    expect(audit.rows[3]!.target_id).toBe(small.depositAddress);
  });

  it('keeps a sweepAddress request through a job Redis refused and a pause that follows; sweepNow is audited whatever Redis says', {
    timeout: 120_000,
  }, async () => {
    await queueIdle();
    const m = await t.merchant();
    const late = await requestDeposit(t, m, 'late', 'ERC20', '7');
    await t.devnet.sendToken(t.devnet.usdt6, late.depositAddress, 7n * E6);
    await t.devnet.mine(12);
    await t.scan('ERC20:test');
    const requests = async () =>
      (
        await t.app.pool.query<{ address: string; served: boolean; outcome: string | null }>(
          `select address, served_at is not null as served, outcome from sweep_requests where address = $1`,
          [late.depositAddress],
        )
      ).rows;
    const audits = async (action: string) =>
      (
        await t.app.pool.query(`select 1 from admin_audit where action = $1 and actor = 'admin:bob'`, [
          action,
        ])
      ).rowCount;

    // Redis refuses the job. sweepNow is audited and answered (its job is queued after the audit row
    // commits; the scheduled pass runs a whole pass anyway: test/integration/treasury-sweep-now.test.ts). A
    // sweepAddress request stands once recorded and audited: the pass that serves it need not be its own job.
    const refusing = new TreasuryControls(t.app.pool, ['ERC20:test'], async () => {
      throw new Error('Redis is away');
    });
    await expect(refusing.sweepNow('ERC20', 'test', 'admin:bob')).resolves.toMatchObject({ address: null });
    expect(await audits('treasury.sweep_now')).toBe(1);
    expect(await refusing.sweepAddress('ERC20', 'test', late.depositAddress, 'admin:bob')).toMatchObject({
      address: late.depositAddress,
      unsweptBaseUnits: String(7n * E6),
    });
    expect(await audits('treasury.sweep_address')).toBe(1);
    expect(await requests()).toEqual([{ address: late.depositAddress, served: false, outcome: null }]);

    // Then ops pause the network. The request waits out the pause: a paused pass leaves it, and a second
    // request for the address is refused meanwhile.
    const losing = new TreasuryControls(t.app.pool, ['ERC20:test'], async () => undefined);
    await expect(losing.sweepAddress('ERC20', 'test', late.depositAddress, 'admin:bob')).rejects.toThrow(
      /already requested/,
    );
    await losing.setPaused('ERC20', 'test', true, 'rotation', 'admin:bob');
    expect(await pass()).toMatchObject({ paused: true, planned: 0 });
    expect(await requests()).toEqual([{ address: late.depositAddress, served: false, outcome: null }]);
    expect(await sweepOf(late.depositAddress)).toBeUndefined();

    // Resumed: the next pass plans the address although it is below the threshold, and serves the request.
    await losing.setPaused('ERC20', 'test', false, null, 'admin:bob');
    await until('the request is served', async () => (await requests())[0]?.served === true, true);
    expect(await requests()).toEqual([{ address: late.depositAddress, served: true, outcome: 'planned' }]);
    await until('late swept', async () => (await sweepOf(late.depositAddress))?.status === 'completed', true);
    expect(await audits('treasury.sweep_address')).toBe(1);
    expect(await reconcileNetwork(sweeper().deps)).toSatisfy((checks: { difference: bigint }[]) =>
      checks.every((c) => c.difference === 0n),
    );
  });

  it('has the same controls in the CLI (treasury pause | resume | sweep-now | sweep-address), audited as cli', {
    timeout: 120_000,
  }, async () => {
    const cli = inProcessCliRunner({
      DATABASE_URL: databaseUrl(t.dbName),
      REDIS_PREFIX: t.app.config.redisPrefix,
      LOG_LEVEL: 'warn',
      SWEEP_POLICY: JSON.stringify({ 'ERC20:test': { threshold: '100' } }),
    });
    const net = ['--network', 'ERC20', '--mode', 'test', '--json'];
    expect(await cli('treasury', 'pause', ...net, '--reason', 'maintenance')).toMatchObject({ paused: true });
    expect(await sweeper().pass()).toMatchObject({ paused: true });
    expect(await cli('treasury', 'resume', ...net)).toMatchObject({ paused: false });
    expect(await cli('treasury', 'sweep-now', ...net)).toMatchObject({ network: 'ERC20', mode: 'test' });
    await expect(
      cli('treasury', 'sweep-address', ...net, '--address', Wallet.createRandom().address),
    ).rejects.toThrow(/failed \(1\).*not found/s);
    const audit = await t.app.pool.query<{ action: string; reason: string | null }>(
      `select action, reason from admin_audit where actor like 'cli:%' order by id`,
    );
    expect(audit.rows).toEqual([
      { action: 'treasury.pause', reason: 'maintenance' },
      { action: 'treasury.resume', reason: null },
      { action: 'treasury.sweep_now', reason: null },
    ]);
  });
});
