import { parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { getSchema } from '../../schema/index.js';
import { loadConfig } from '../../src/config.js';
import { complexityErrors } from '../../src/http/graphql-complexity.js';

// The complexity verdicts shared between requests of one document (src/http/graphql-complexity.ts): only
// between requests that would get the same verdict, never one request's refusal for the next.

const schema = getSchema();
const context = { principal: { kind: 'anonymous' } };
const messages = (errors: readonly { message: string }[]) => errors.map((e) => e.message);

describe('complexity verdicts of a document', () => {
  it('measures an operation name the document lacks ("" too) for that request alone', () => {
    const config = loadConfig();
    const document = parse('subscription { donationReceived(streamId: "s1") { amount } }');
    expect(messages(complexityErrors(config, schema, document, { operationName: '' }, context))).toEqual([
      'Unknown operation named "".',
    ]);
    expect(complexityErrors(config, schema, document, {}, context)).toEqual([]);
    expect(messages(complexityErrors(config, schema, document, { operationName: 'Nope' }, context))).toEqual([
      'Unknown operation named "Nope".',
    ]);
    expect(complexityErrors(config, schema, document, { operationName: null }, context)).toEqual([]);
  });

  it("keeps each configuration's limits: one app's verdict is not another's", () => {
    const document = parse(
      '{ a: user(userId: "x") { transactions(first: 50) { edges { node { id amount description } } } } }',
    );
    const roomy = { ...loadConfig(), graphqlMaxComplexity: 100_000 };
    const tight = { ...loadConfig(), graphqlMaxComplexity: 20 };
    expect(complexityErrors(roomy, schema, document, {}, context)).toEqual([]);
    expect(messages(complexityErrors(tight, schema, document, {}, context))[0]).toMatch(
      /Query complexity of \d+ exceeds max complexity of 20/,
    );
  });
});
