import { describe, expect, it } from 'vitest';
import { isConnectionError, redactUrl, startupFailureMessage } from '../../src/lib/startup.js';

describe('start-up failure messages', () => {
  const urls = {
    databaseUrl: 'postgres://root:pg-secret@db.internal:5432/novapay',
    redisUrl: 'redis://:redis-secret@cache.internal:6379',
  };

  it('removes passwords from URLs and keeps everything else', () => {
    expect(redactUrl(urls.databaseUrl)).toBe('postgres://root@db.internal:5432/novapay');
    expect(redactUrl(urls.redisUrl)).toBe('redis://cache.internal:6379');
    expect(redactUrl('rediss://default:pw@h:6380/0')).toBe('rediss://default@h:6380/0');
    expect(redactUrl('postgres://root@127.0.0.1:5432/novapay')).toBe(
      'postgres://root@127.0.0.1:5432/novapay',
    );
    expect(redactUrl('postgres://u:p@[broken')).toBe('postgres://u@[broken');
  });

  it('adds the hint, naming both URLs without passwords, to any connection failure', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    const redisClosed = new Error('Connection is closed.');
    const aggregate = Object.assign(new AggregateError([refused], ''), { code: 'ECONNREFUSED' });
    const dns = Object.assign(new Error('getaddrinfo ENOTFOUND db.internal'), { code: 'ENOTFOUND' });
    for (const err of [refused, redisClosed, aggregate, dns]) {
      expect(isConnectionError(err)).toBe(true);
      const line = startupFailureMessage(err, urls);
      expect(line).toMatch(
        /^could not start: .+ \(is PostgreSQL running at postgres:\/\/root@db\.internal:5432\/novapay and Redis at redis:\/\/cache\.internal:6379\? see README\)$/,
      );
      expect(line).not.toMatch(/secret/);
    }
    expect(startupFailureMessage(aggregate, urls)).toMatch(
      /^could not start: connect ECONNREFUSED 127\.0\.0\.1:5432 /,
    );
    expect(startupFailureMessage(redisClosed, urls, 'migration failed')).toMatch(
      /^migration failed: Connection is closed\. \(is PostgreSQL/,
    );
  });

  it('leaves other failures as they are', () => {
    const err = new Error('relation "merchants" does not exist');
    expect(isConnectionError(err)).toBe(false);
    expect(startupFailureMessage(err, urls)).toBe('could not start: relation "merchants" does not exist');
  });
});
