import { userInfo } from 'node:os';
import { describe, expect, it } from 'vitest';
import { useTestApp } from '../helpers/app.js';
import { inProcessCliRunner } from '../helpers/cli-in-process.js';
import { databaseUrl } from '../helpers/db.js';

// `users credit` keeps who ran it as `metadata.actor` (README: "`cli:` and your login name"). Containers, cron
// and `docker exec` often run without $USER: the audit must still name the account, never "cli:" or "unknown".

describe('the CLI names who ran it', () => {
  const t = useTestApp();

  async function creditAs(env: Record<string, string>, userId: string) {
    const m = await t.merchant();
    const cli = inProcessCliRunner({
      DATABASE_URL: databaseUrl(t.dbName),
      REDIS_PREFIX: t.app.config.redisPrefix,
      LOG_LEVEL: 'warn',
      ...env,
    });
    await cli(
      'users',
      'credit',
      '--merchant',
      m.merchantId,
      '--mode',
      'test',
      '--user',
      userId,
      '--amount',
      '5',
      '--reason',
      'welcome',
      '--json',
    );
    const res = await t.request({ url: `/api/v1/transactions?userId=${userId}`, as: m });
    expect(res.status).toBe(200);
    return res.body.data[0].metadata.actor;
  }

  it('uses $USER when it is set', async () => {
    expect(await creditAs({ USER: 'alice', LOGNAME: 'bob' }, 'user_a')).toBe('cli:alice');
  });

  it('falls back to $LOGNAME, then to the account the process runs as', async () => {
    expect(await creditAs({ USER: '', LOGNAME: 'bob' }, 'user_b')).toBe('cli:bob');
    expect(await creditAs({ USER: '', LOGNAME: '' }, 'user_c')).toBe(`cli:${userInfo().username}`);
  });
});
