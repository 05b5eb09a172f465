import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

// The web pages type their GraphQL with gql.tada from web/src/graphql-env.d.ts, which `npm run schema:print`
// generates from schema/schema.graphql; this fails when it is stale.
const root = fileURLToPath(new URL('../../', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'novapay-tada-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('web GraphQL types', () => {
  it('has a committed web/src/graphql-env.d.ts that matches schema/schema.graphql', async () => {
    const out = join(dir, 'graphql-env.d.ts');
    await promisify(execFile)(
      join(root, 'node_modules', '.bin', 'gql.tada'),
      ['generate-output', '-c', join(root, 'web', 'tsconfig.json'), '--output', out],
      { cwd: root, timeout: 60_000 },
    );
    expect(readFileSync(join(root, 'web', 'src', 'graphql-env.d.ts'), 'utf8')).toBe(
      readFileSync(out, 'utf8'),
    );
  });
});
