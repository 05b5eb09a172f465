import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EXCLUDED } from './harness/excluded.js';

// The list of tronweb tests left out stays honest: every entry names a describe or test that exists in the
// copied files and is documented in README.md, so nothing is dropped silently or by a stale name.

const here = (file: string) => new URL(file, import.meta.url);
const readme = readFileSync(here('./README.md'), 'utf8');
const upstream = {
  'TronWeb.transactionBuilder': readFileSync(here('./upstream/test/lib/transactionBuilder.test.ts'), 'utf8'),
  'TronWeb.trx': readFileSync(here('./upstream/test/lib/trx.test.ts'), 'utf8'),
};

/** The names given to describe() and it() in a test file, as written. */
function names(source: string): Set<string> {
  const found = new Set<string>();
  for (const m of source.matchAll(/\b(?:describe|it)(?:\.skip)?\(\s*(['"`])(.+?)\1\s*,/g))
    found.add(m[2] as string);
  return found;
}

describe('tronweb tests left out', () => {
  it('name describes and tests of the copied files, each listed in README.md with its reason', () => {
    for (const [path, reason] of EXCLUDED) {
      const [root, ...segments] = path.split(' > ');
      const source = upstream[root as keyof typeof upstream];
      expect(source, path).toBeDefined();
      const known = names(source as string);
      for (const segment of segments) expect(known.has(segment), `${path}: "${segment}"`).toBe(true);
      expect(
        readme.includes(`\`${segments.at(-1)}\``) || readme.includes(segments.at(-1) as string),
        path,
      ).toBe(true);
      expect(reason.length).toBeGreaterThan(10);
    }
  });

  it('keeps the suites that cover what the devnet implements', () => {
    const kept = [
      '#sendTrx()',
      '#freezeBalanceV2',
      '#unfreezeBalanceV2',
      '#cancelUnfreezeBalance',
      '#delegateResource',
    ];
    for (const name of [
      ...kept,
      '#undelegateResource',
      '#withdrawExpireUnfreeze',
      'Alter existent transactions',
    ]) {
      expect([...EXCLUDED.keys()].some((k) => k.endsWith(`> ${name}`))).toBe(false);
    }
  });
});
