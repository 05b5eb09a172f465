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
