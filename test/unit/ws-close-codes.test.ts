import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/process.js';

// docs/api.md's "WebSocket close codes" table names every code and every fixed reason the server closes a
// socket with (src/http/ws*.ts): a new close added in the code without its row fails here.

const sources = readdirSync(join(ROOT, 'src/http'))
  .filter((f) => /^ws.*\.ts$/.test(f))
  .map((f) => readFileSync(join(ROOT, 'src/http', f), 'utf8'))
  .join('\n');

function docTable(): { codes: Set<number>; reasons: Set<string> } {
  const doc = readFileSync(join(ROOT, 'docs/api.md'), 'utf8');
  const start = doc.indexOf('### WebSocket close codes');
  expect(start).toBeGreaterThan(0);
  const rows = doc
    .slice(start)
    .split('\n')
    .filter((l) => /^\| \d{4} /.test(l));
  const codes = new Set(rows.map((r) => Number(r.slice(2, 6))));
  const reasons = new Set(
    rows.flatMap((r) => [...r.split('|')[2]!.matchAll(/`([^`]+)`/g)].map((m) => m[1]!)),
  );
  return { codes, reasons };
}

describe('WebSocket close codes in docs/api.md', () => {
  it('lists every close code the server uses', () => {
    const used = [...sources.matchAll(/const CLOSE_\w+ = (\d{4});/g)].map((m) => Number(m[1]));
    expect(used.length).toBeGreaterThanOrEqual(7);
    const { codes } = docTable();
    expect(used.filter((c) => !codes.has(c))).toEqual([]);
  });

  it('lists every fixed close reason, the revocation and expiry ones included', () => {
    const literal = [...sources.matchAll(/\.close\([^()']*,\s*'([^']+)'\)/g)].map((m) => m[1]!);
    const tuples = [...sources.matchAll(/\[CLOSE_\w+, '([^']+)'\]/g)].map((m) => m[1]!);
    const used = [...new Set([...literal, ...tuples])];
    expect(used).toEqual(expect.arrayContaining(['token_revoked', 'key_revoked', 'token_expired']));
    const { reasons } = docTable();
    expect(used.filter((r) => !reasons.has(r))).toEqual([]);
    // The reasons named by error code (closeFor): 1013's and the two 44xx besides 4401.
    for (const r of ['service_unavailable', 'ip_not_allowed', 'rate_limited'])
      expect(reasons.has(r)).toBe(true);
  });
});
