import { afterEach, describe, expect, it } from 'vitest';
import { useTestApp } from '../helpers/app.js';
import { appCliInProcess } from '../helpers/cli-in-process.js';
import { refuseWrites, stopRefusing } from '../helpers/refuse-writes.js';

// A command that fails inside the database (not a refusal of ours: PostgreSQL raising, a lost connection)
// printed the ORM's message, which starts with the whole SQL statement and its parameters: creating a key, the
// key's hash and its secret's ciphertext went to the operator's terminal, scrollback and CI logs. It now prints
// what PostgreSQL said (and its SQLSTATE), not the statement. PostgreSQL's own refusal (a trigger raising on
// the write) stands in for the failure.

const t = useTestApp();
const cli = appCliInProcess(t);

afterEach(() => stopRefusing(t.app.pool, 'api_keys'));

describe('a command that fails inside the database', () => {
  it('prints what PostgreSQL said, not the statement with its secrets', async () => {
    const m = await t.merchant();
    await refuseWrites(t.app.pool, 'api_keys');
    for (const json of [false, true]) {
      const r = await cli(
        'keys',
        'create',
        '--merchant',
        m.merchantId,
        '--mode',
        'test',
        ...(json ? ['--json'] : []),
      );
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(/refused by the test/);
      expect(r.stderr).toMatch(/P0001/); // raise_exception's SQLSTATE, for the runbook
      for (const out of [r.stderr, r.stdout]) {
        expect(out).not.toMatch(/insert into|api_keys|secret_ciphertext|key_hash/i);
        expect(out).not.toMatch(/[0-9a-f]{40,}/i); // no hash, no ciphertext
      }
      if (json)
        expect(JSON.parse(r.stdout)).toEqual({
          error: {
            code: 'internal_error',
            message: expect.stringMatching(/refused by the test/),
            param: null,
          },
        });
    }
    expect(
      (
        await t.app.pool.query('select count(*)::int as n from api_keys where merchant_id = $1', [
          m.merchantId,
        ])
      ).rows[0].n,
    ).toBe(1); // the merchant's first key only
  });
});
