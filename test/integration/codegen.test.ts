import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { buildSchema, lexicographicSortSchema, printSchema } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { printedPossibleTypes, printedSchema } from '../../schema/print.js';
import { useTestApp } from '../helpers/app.js';

// Codegen from the live endpoint (issue 16): start the server, run @graphql-codegen/cli's introspection and
// gql.tada's generate-schema against it with a token, type-check a small client (test/codegen-client) with the
// result, and run it. Production answers introspection to credentials only, so this runs with that setting.
const t = useTestApp({ graphqlPublicIntrospection: false });
const run = promisify(execFile);
const root = fileURLToPath(new URL('../../', import.meta.url));
const bin = (name: string) => join(root, 'node_modules', '.bin', name);

let url = '';
let token = '';
let dir = '';
beforeAll(async () => {
  url = `${await t.app.listen(0, '127.0.0.1')}/graphql`;
  token = (await t.app.services.tokens.issueAdmin(600, 'codegen')).token;
  // Under node_modules so the copied client resolves @urql/core and graphql like a project would.
  mkdirSync(join(root, 'node_modules', '.cache'), { recursive: true });
  dir = mkdtempSync(join(root, 'node_modules', '.cache', 'codegen-'));
  cpSync(join(root, 'test', 'codegen-client'), dir, { recursive: true });
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function tsc(): Promise<string> {
  try {
    await run(bin('tsc'), ['-p', join(dir, 'tsconfig.json')], { cwd: dir });
    return '';
  } catch (err) {
    return String((err as { stdout?: string }).stdout);
  }
}

describe('codegen against the live endpoint', () => {
  it('generates typed documents and possibleTypes with @graphql-codegen/cli; tsc checks the client', async () => {
    const env = { ...process.env, NOVAPAY_GRAPHQL_URL: url, NOVAPAY_TOKEN: token };
    await run(bin('graphql-codegen'), ['--config', 'codegen.ts'], { cwd: dir, env, timeout: 120_000 });
    // The published possibleTypes are what codegen's fragment-matcher reads from the live server.
    const generated = JSON.parse(readFileSync(join(dir, 'possible-types.json'), 'utf8'));
    const sorted = (m: Record<string, string[]>) =>
      Object.fromEntries(
        Object.keys(m)
          .sort()
          .map((k) => [k, [...m[k]!].sort()]),
      );
    expect(sorted(generated.possibleTypes)).toEqual(JSON.parse(printedPossibleTypes()).possibleTypes);

    // The client type-checks; the misuse file fails exactly where it should (the types are not `any`).
    const errors = (await tsc())
      .split('\n')
      .filter((l) => l.includes('error TS'))
      .map((l) => l.replace(/\(\d+,\d+\)/, '').replace(/: error (TS\d+).*/, ' $1'));
    expect(errors.sort()).toEqual(['misuse.ts TS2322', 'misuse.ts TS2339', 'misuse.ts TS2353'].sort());

    // And it works against the server: the same token reads a user, then refetches it through node(id:).
    const m = await t.merchant();
    await t.credit(m, 'fan', '42.50');
    const session = await t.app.services.tokens.issueUserSession(
      { merchantId: m.merchantId, mode: 'test' },
      'fan',
      600,
      ['read'],
    );
    const client = await import(join(dir, 'client.ts'));
    const c = client.connect(url, session.token);
    const summary = await client.summary(c, 'fan');
    expect(summary).toEqual({ nodeId: expect.any(String), balance: '42.50', directions: ['CREDIT'] });
    expect(await client.refetchBalance(c, summary.nodeId)).toBe('42.50');
  });

  it("gives gql.tada's generate-schema the same schema as the committed one", async () => {
    const out = join(dir, 'tada-schema.graphql');
    await run(
      bin('gql.tada'),
      ['generate-schema', url, '--header', `Authorization: Bearer ${token}`, '--output', out],
      { cwd: dir, timeout: 60_000 },
    );
    const live = printSchema(lexicographicSortSchema(buildSchema(readFileSync(out, 'utf8'))));
    expect(`${live}\n`).toBe(printedSchema());
  });

  it('refuses anonymous introspection here, as production does', async () => {
    const r = await t.graphql(null, '{ __schema { queryType { name } } }');
    expect(r.body.errors[0].extensions.code).toBe('forbidden');
  });
});
