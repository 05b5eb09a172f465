import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cruise, type ICruiseResult, type IForbiddenRuleType } from 'dependency-cruiser';
import { beforeAll, describe, expect, it } from 'vitest';

// The layers' "nevers" (docs/architecture.md "What imports what"), checked by dependency-cruiser over the
// real import graph: a forbidden import anywhere fails here with the file and the import that broke it.

const RULES: IForbiddenRuleType[] = [
  {
    name: 'modules-not-outer-layers',
    comment: 'business modules know nothing of the doors (schema, REST, HTTP) or the devnets',
    severity: 'error',
    from: { path: '^src/modules/' },
    to: { path: '^(schema|src/rest|src/http|src/devnet)/' },
  },
  {
    name: 'rest-only-through-graphql',
    comment: 'REST routes run prepared GraphQL operations, never the modules directly',
    severity: 'error',
    from: { path: '^src/rest/' },
    to: { path: '^src/modules/' },
  },
  {
    name: 'chains-not-modules',
    comment: 'chain families are below the modules',
    severity: 'error',
    from: { path: '^src/chains/' },
    to: { path: '^src/modules/' },
  },
  {
    name: 'kernel-not-modules',
    comment: 'src/lib is the kernel everyone imports: it imports no module',
    severity: 'error',
    from: { path: '^src/lib/' },
    to: { path: '^src/modules/' },
  },
  {
    name: 'jobs-not-http',
    comment: 'queue bindings never reach into the HTTP layer',
    severity: 'error',
    from: { path: '^jobs/' },
    to: { path: '^src/http/' },
  },
  {
    name: 'modules-through-their-index',
    comment: 'outside a module, only its index.ts is its public surface',
    severity: 'error',
    from: { path: '^(src|jobs|schema)/', pathNot: '^src/modules/' },
    to: { path: '^src/modules/[^/]+/', pathNot: '^src/modules/[^/]+/index\\.ts$' },
  },
  {
    name: 'modules-reach-each-other-through-their-index',
    comment: 'one module imports another only through its index.ts',
    severity: 'error',
    from: { path: '^src/modules/([^/]+)/' },
    to: { path: '^src/modules/', pathNot: ['^src/modules/$1/', '^src/modules/[^/]+/index\\.ts$'] },
  },
];

let result: ICruiseResult;

beforeAll(async () => {
  const reporting = await cruise(['src', 'jobs', 'schema'], {
    ruleSet: { forbidden: RULES },
    tsPreCompilationDeps: true,
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)node_modules/' },
    validate: true,
  });
  result = reporting.output as ICruiseResult;
}, 60_000);

describe('the import graph', () => {
  it('reads every source file of the layers', () => {
    const files = result.modules.map((m) => m.source);
    for (const f of [
      'src/app.ts',
      'src/modules/ledger/service.ts',
      'src/rest/v1/transfer.ts',
      'jobs/worker.ts',
    ])
      expect(files).toContain(f);
  });

  it('breaks none of the layers’ rules', () => {
    const broken = result.summary.violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`);
    expect(broken).toEqual([]);
  });
});

/** Every .ts file under `dir`, as a path from the project root. */
function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && /\.tsx?$/.test(e.name))
    .map((e) => join(e.parentPath, e.name));
}

describe('the seams', () => {
  it('jobs/ binds queues to module methods and runs no SQL of its own', () => {
    const withSql = sources('jobs').filter((f) =>
      /\.query\s*[<(]|\bpg\.Client\b/.test(readFileSync(f, 'utf8')),
    );
    expect(withSql).toEqual([]);
  });

  it('no file outside src/chains asks which chain family a network is', () => {
    const asking = ['src', 'jobs', 'schema']
      .flatMap(sources)
      .filter((f) => !f.startsWith('src/chains/'))
      .filter((f) =>
        /\bfamily\s*[!=]==|[!=]==\s*[\w.]*\bfamily\b|case '(tron|evm)':/.test(readFileSync(f, 'utf8')),
      );
    expect(asking).toEqual([]);
  });

  it('every module has an index.ts', () => {
    const modules = readdirSync('src/modules', { withFileTypes: true }).filter((e) => e.isDirectory());
    expect(modules.length).toBeGreaterThan(5);
    const without = modules.filter((m) => !readdirSync(join('src/modules', m.name)).includes('index.ts'));
    expect(without.map((m) => m.name)).toEqual([]);
  });
});
