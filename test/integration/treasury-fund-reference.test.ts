import { describe, expect, it } from 'vitest';
import { useTestApp } from '../helpers/app.js';
import { appCliInProcess } from '../helpers/cli-in-process.js';

// `treasury fund` records coins ops put in "once per transaction" (docs/treasury.md). A transaction hash is
// hex, and ops copy it from wherever they find it: an explorer (EVM hashes with 0x, TRON's without), a wallet
// that prints it in capitals, a colleague's note with 0x added. Each spelling was recorded again, so one top-up
// counted two or three times as capital, the books claimed coins the chain never had, and the treasury
// reconciliation raised a mismatch with nothing wrong on chain.

const t = useTestApp();
const cli = appCliInProcess(t);

const HASH = 'a41178efee0bd953be09cbef992c9a6006df2c88b79a4ecc568aa13745b991fd';

async function fund(network: string, reference: string) {
  const r = await cli(
    'treasury',
    'fund',
    '--network',
    network,
    '--mode',
    'test',
    '--asset',
    'token',
    '--amount',
    '1000',
    '--reference',
    reference,
    '--json',
  );
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout).recorded as boolean;
}

async function capital(network: string) {
  const r = await cli('treasury', 'books', '--network', network, '--mode', 'test', '--json');
  expect(r.code, r.stderr).toBe(0);
  const accounts: { asset: string; code: string; balance: string }[] = JSON.parse(r.stdout).accounts;
  return accounts.find((a) => a.asset === 'token' && a.code === 'capital')?.balance;
}

describe('treasury fund', () => {
  it('records one EVM transaction once, however its hash is spelt', async () => {
    expect(await fund('ERC20', `0x${HASH}`)).toBe(true);
    for (const again of [`0x${HASH.toUpperCase()}`, HASH, `0X${HASH}`])
      expect([again, await fund('ERC20', again)]).toEqual([again, false]);
    expect(await capital('ERC20')).toBe('-1000');
  });

  it('records one TRON transaction once, with or without 0x', async () => {
    expect(await fund('TRC20', HASH)).toBe(true);
    for (const again of [`0x${HASH}`, HASH.toUpperCase()])
      expect([again, await fund('TRC20', again)]).toEqual([again, false]);
    expect(await capital('TRC20')).toBe('-1000');
  });

  it('keeps a reference that is no transaction hash as it is', async () => {
    expect(await fund('BEP20', 'cold-return-2026-12')).toBe(true);
    expect(await fund('BEP20', 'COLD-RETURN-2026-12')).toBe(true);
    expect(await capital('BEP20')).toBe('-2000');
  });
});
