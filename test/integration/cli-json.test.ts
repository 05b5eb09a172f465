import { describe, expect, it } from 'vitest';
import { useTestApp } from '../helpers/app.js';
import { appCliInProcess } from '../helpers/cli-in-process.js';

// docs/cli.md: with --json a command prints exactly one JSON object on stdout, a refusal too (the API's error
// shape, exit code 1); `webhooks create --event` takes an event type as REST or as GraphQL spells it.

describe('the CLI with --json', () => {
  const t = useTestApp();
  const cli = appCliInProcess(t);
  /** `users credit` of `amount` Stars to user u. */
  const credit = (merchantId: string, amount: string, ...rest: string[]) =>
    cli(
      'users',
      'credit',
      '--merchant',
      merchantId,
      '--mode',
      'test',
      '--user',
      'u',
      '--amount',
      amount,
      '--reason',
      'r',
      ...rest,
    );

  it('prints a refusal as one JSON error object on stdout and exits 1', async () => {
    const m = await t.merchant();
    const r = await credit(m.merchantId, '1e3', '--json');
    expect(r.code).toBe(1);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const body = JSON.parse(lines[0]!);
    expect(body).toEqual({
      error: {
        code: 'invalid_amount',
        message: 'amount must be a plain decimal number such as 50 or 12.34',
        param: 'amount',
      },
    });
    expect(r.stderr).toBe(`error: ${body.error.message}\n`);

    const missing = await credit('mer_nobody', '1', '--json');
    expect(missing.code).toBe(1);
    expect(JSON.parse(missing.stdout).error).toMatchObject({ code: 'not_found' });
  });

  it('prints a usage error (a value commander refuses, a missing option, an unknown command) as one too', async () => {
    const m = await t.merchant();
    const creditArgs = `users credit --merchant ${m.merchantId} --user u --amount 1`;
    const cases: [string, RegExp][] = [
      [`${creditArgs} --mode bogus --reason r --json`, /argument 'bogus' is invalid/],
      [`${creditArgs} --mode test --json`, /required option '--reason <text>' not specified/],
      ['admin token --ttl abc --json', /argument 'abc' is invalid/],
      ['users nope --json', /unknown command 'nope'/],
    ];
    for (const [args, message] of cases) {
      const r = await cli(...args.split(' '));
      expect(r.code).toBe(1);
      const lines = r.stdout.trim().split('\n');
      expect(lines).toHaveLength(1);
      const body = JSON.parse(lines[0]!);
      expect(body).toEqual({
        error: { code: 'invalid_request', message: expect.stringMatching(message), param: null },
      });
      expect(r.stderr).toMatch(/^error: /);
    }
    // Without --json stdout stays empty.
    const plain = await cli('users', 'credit', '--merchant', m.merchantId, '--mode', 'bogus');
    expect([plain.code, plain.stdout]).toEqual([1, '']);
  });

  it('keeps stdout empty without --json', async () => {
    const m = await t.merchant();
    const r = await credit(m.merchantId, '1e3');
    expect([r.code, r.stdout]).toEqual([1, '']);
    expect(r.stderr).toMatch(/^error: /);
  });

  it('takes webhook event types as REST and as GraphQL spell them', async () => {
    const m = await t.merchant();
    const tenant = ['--merchant', m.merchantId, '--mode', 'test'];
    const events = ['TRANSFER_COMPLETED', 'deposit.confirmed', 'Payout_Failed'].flatMap((e) => [
      '--event',
      e,
    ]);
    const url = 'http://127.0.0.1:9/hooks';
    const created = await cli('webhooks', 'create', ...tenant, '--url', url, ...events, '--json');
    expect(created.code).toBe(0);
    const stored = ['transfer.completed', 'deposit.confirmed', 'payout.failed'];
    expect(JSON.parse(created.stdout).events).toEqual(stored);

    // As docs/cli.md shows it.
    const listed = await cli('webhooks', 'list', ...tenant, '--json');
    expect(JSON.parse(listed.stdout)).toEqual({
      endpoints: [
        {
          endpointId: expect.stringMatching(/^whe_/),
          url,
          events: stored,
          enabled: true,
          disabledReason: null,
          bodySignatureKeyId: null,
        },
      ],
    });

    const unknown = await cli('webhooks', 'create', ...tenant, '--url', url, '--event', 'TRANSFER', '--json');
    expect(unknown.code).toBe(1);
    expect(JSON.parse(unknown.stdout).error).toMatchObject({ code: 'invalid_request', param: 'events' });
  });
});
