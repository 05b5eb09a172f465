import { describe, expect, it } from 'vitest';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { databaseUrl } from '../helpers/db.js';
import { run } from '../helpers/process.js';
import { useTronApp } from '../helpers/tron.js';

// The long CLI operations, run as an operator runs them (their own process, not a terminal): `chain
// rescan` and `seed`. Off a terminal they print plain progress lines on stderr; stdout keeps exactly one
// JSON object with --json. The refusals (one error line, exit code 1) run in-process.
const t = useTronApp();

const PROGRESS_LINE = /^(rescan TRC20:test blocks|seed): \d+\/\d+ \(\d+%\) \d+\.\ds$/;

const cliEnv = () => ({
  DATABASE_URL: databaseUrl(t.dbName),
  REDIS_PREFIX: t.app.config.redisPrefix,
  TRON_DEVNET: 'off',
  EVM_DEVNET: 'off',
  TRON_TEST_NODE_URL: t.devnet.url,
  TRC20_TEST_USDT_CONTRACT: t.devnet.usdt.address,
  TRC20_CONFIRMATIONS: '19',
  LOG_LEVEL: 'warn',
});

async function cli(args: string[], extraEnv: Record<string, string> = {}) {
  return run('npm', ['run', '--silent', 'cli', '--', ...args], { ...cliEnv(), ...extraEnv }, 120_000);
}

/** The refusals are about the command, not the process: the same program in-process (cli-in-process.ts). */
const cliInProcess = (args: string[]) => runCliInProcess(args, cliEnv());

function progressLines(stderr: string): string[] {
  return stderr.split('\n').filter((l) => PROGRESS_LINE.test(l));
}

async function balance(m: Awaited<ReturnType<typeof t.merchant>>, userId: string) {
  return (await t.request({ url: `/api/v1/balance/${userId}`, as: m })).body.balance;
}

describe('chain rescan', () => {
  it('credits a payment the scanner never saw, once, without moving the cursor, with progress lines', async () => {
    const m = await t.merchant();
    const d = (
      await t.request({
        url: '/api/v1/deposit/create',
        as: m,
        body: { userId: 'rescued', amount: 12, currency: 'USDT', network: 'TRC20' },
      })
    ).body;
    await t.scan(); // the cursor now stands at the head, before the payment
    const cursor = async () =>
      (await t.app.pool.query(`select next_block from chain_cursors where chain = 'TRC20:test'`)).rows[0]
        .next_block;
    const cursorBefore = await cursor();
    t.devnet.sendUsdt(d.depositAddress, 12_000_000n);
    const paidIn = t.devnet.mine(1)[0]!.number;
    t.devnet.mine(250); // deep enough to credit; the range spans three of the adapter's 100-block reads

    const from = Math.max(1, paidIn - 5);
    const args = ['chain', 'rescan', '--network', 'TRC20', '--mode', 'test', '--from', String(from)];
    const first = await cli([...args, '--to', String(paidIn + 240), '--json']);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout.trim().split('\n')).toHaveLength(1);
    expect(JSON.parse(first.stdout)).toMatchObject({
      chain: 'TRC20:test',
      from,
      to: paidIn + 240,
      scannedBlocks: paidIn + 240 - from + 1,
      transfers: 1,
      credited: 1,
    });
    const lines = progressLines(first.stderr);
    const total = paidIn + 240 - from + 1;
    expect(lines[0]).toMatch(new RegExp(`^rescan TRC20:test blocks: 0/${total} \\(0%\\)`));
    expect(lines.at(-1)).toMatch(new RegExp(`^rescan TRC20:test blocks: ${total}/${total} \\(100%\\)`));
    expect(await balance(m, 'rescued')).toBe(12);
    expect(await cursor()).toBe(cursorBefore);

    // Again, and then the live scanner over the same blocks: nothing is credited twice.
    const again = await cli([...args, '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ transfers: 1, credited: 0 });
    await t.scan();
    await t.scan();
    await t.scan();
    expect(await balance(m, 'rescued')).toBe(12);
    const deposits = await t.app.pool.query(
      `select count(*)::int as n from ledger_transactions where merchant_id = $1 and type = 'deposit'`,
      [m.merchantId],
    );
    expect(deposits.rows[0].n).toBe(1);
    expect((await t.request({ url: `/api/v1/deposit/${d.id}`, as: m })).body).toMatchObject({
      status: 'confirmed',
      amountReceived: 12,
    });
  });

  it('refuses a network without a node, and a range backwards, with one line and exit code 1', async () => {
    const none = await cliInProcess([
      'chain',
      'rescan',
      '--network',
      'ERC20',
      '--mode',
      'test',
      '--from',
      '1',
    ]);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/^error: ERC20 has no node configured in test mode here/m);
    const back = await cliInProcess([
      'chain',
      'rescan',
      '--network',
      'TRC20',
      '--mode',
      'test',
      '--from',
      '9',
      '--to',
      '3',
    ]);
    expect([back.code, back.stderr.trim()]).toEqual([1, 'error: --to is below --from']);
  });

  it('refuses a range the node has not reached instead of reporting it rescanned, with exit code 1', async () => {
    // A node that is behind, or on another network, has no such blocks: "0 deposit transfer(s) seen" would
    // tell the operator nothing was missed when nothing was read.
    const head = t.devnet.mine(1)[0]!.number;
    const rescan = (range: string[]) =>
      cliInProcess(['chain', 'rescan', '--network', 'TRC20', '--mode', 'test', ...range, '--json']);
    const beyond = await rescan(['--from', String(head + 1000)]);
    expect(beyond.code, beyond.stdout).toBe(1);
    expect(JSON.parse(beyond.stdout)).toMatchObject({ error: { code: 'invalid_request', param: 'from' } });
    expect(beyond.stderr).toMatch(
      new RegExp(
        `^error: block ${head + 1000} is above the node's head \\(block \\d+\\): nothing was scanned`,
        'm',
      ),
    );
    const partly = await rescan(['--from', String(Math.max(0, head - 3)), '--to', String(head + 1000)]);
    expect(partly.code, partly.stdout).toBe(1);
    expect(JSON.parse(partly.stdout)).toMatchObject({ error: { code: 'invalid_request', param: 'to' } });
    expect(partly.stderr).toMatch(new RegExp(`^error: block ${head + 1000} is above the node's head`, 'm'));
  });
});

describe('seed', () => {
  it('creates a merchant, funded users and transfers that balance, with progress lines', async () => {
    const r = await cli(['seed', '--users', '6', '--balance', '50', '--transfers', '40', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({
      mode: 'test',
      users: 6,
      funded: '300.00',
      apiKey: expect.stringMatching(/^sk_test_/),
      apiSecret: expect.any(String),
    });
    expect(out.transfers.completed + out.transfers.refused).toBe(40);
    expect(out.transfers.completed).toBeGreaterThan(30);
    const lines = progressLines(r.stderr);
    expect(lines[0]).toMatch(/^seed: \d+\/46/);
    expect(lines.at(-1)).toMatch(/^seed: 46\/46 \(100%\)/);

    // The users hold what was funded, and the API sees them with the new key.
    const users = await t.app.pool.query(
      `select code, balance_minor from accounts where merchant_id = $1 and kind = 'user' order by code`,
      [out.merchantId],
    );
    expect(users.rows.map((u) => u.code)).toEqual([
      'demo_user_001',
      'demo_user_002',
      'demo_user_003',
      'demo_user_004',
      'demo_user_005',
      'demo_user_006',
    ]);
    expect(users.rows.reduce((s, u) => s + u.balance_minor, 0n)).toBe(30_000n);
    const key = { merchantId: out.merchantId, mode: 'test' as const, keyId: '', ...out };
    expect(await balance(key, 'demo_user_001')).toBe(Number(users.rows[0].balance_minor) / 100);

    // Topping up the same merchant again replays the funding: nothing is funded twice.
    const more = await cli([
      'seed',
      '--merchant',
      out.merchantId,
      '--users',
      '6',
      '--balance',
      '50',
      '--transfers',
      '1',
      '--json',
    ]);
    expect(more.code, more.stderr).toBe(0);
    expect(JSON.parse(more.stdout)).toMatchObject({ merchantId: out.merchantId, funded: '0.00' });
    expect(JSON.parse(more.stdout).apiKey).toBeUndefined();
  });
});
