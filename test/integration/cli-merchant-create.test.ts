import { describe, expect, it } from 'vitest';
import { useTestApp } from '../helpers/app.js';
import { appCliInProcess } from '../helpers/cli-in-process.js';

// `merchants create` makes a merchant and its first key, and prints the key's secret once. It created the
// merchant in one commit and checked the key's options (`--ip`) only after: a bad CIDR answered an error over a
// merchant already made, without a key, and the operator's corrected re-run made a second one of the same name.

describe('merchants create', () => {
  const t = useTestApp();
  const cli = appCliInProcess(t);
  const named = async (name: string) =>
    (await t.app.pool.query('select id from merchants where name = $1', [name])).rowCount;

  it('creates nothing when the first key’s options are refused, and the corrected command creates one', async () => {
    const bad = await cli('merchants', 'create', '--name', 'Atomic Shop', '--ip', '10.0.0.0/99', '--json');
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.stdout).error).toMatchObject({ code: 'invalid_request', param: 'ip' });
    expect(await named('Atomic Shop')).toBe(0);

    const good = await cli('merchants', 'create', '--name', 'Atomic Shop', '--ip', '10.0.0.0/8', '--json');
    expect(good.code).toBe(0);
    const created = JSON.parse(good.stdout);
    expect(created).toMatchObject({ mode: 'test', merchantId: expect.stringMatching(/^mer_/) });
    expect(await named('Atomic Shop')).toBe(1);
    const keys = await t.app.pool.query('select ip_allowlist from api_keys where merchant_id = $1', [
      created.merchantId,
    ]);
    expect(keys.rows).toEqual([{ ip_allowlist: ['10.0.0.0/8'] }]);
  });
});
