import { describe, expect, it } from 'vitest';
import { useTestApp } from '../helpers/app.js';

// Argument errors a client can act on: a malformed id among `nodes(ids:)` is that entry's field error, as
// `node(id:)` reports one (docs/graphql.md "Relay"); a page size out of range is "first must be from 1 to
// 100" with `param: "first"`, whatever else the query asks (docs/graphql.md "Limits"), not a complexity number.

const t = useTestApp();

describe('nodes(ids:) with a malformed id', () => {
  it('answers that entry null with a field error at its path, the others as usual', async () => {
    const m = await t.merchant();
    const r = await t.graphql(m, 'query($ids: [ID!]!) { nodes(ids: $ids) { id } }', {
      ids: [m.merchantId, 'nope', m.merchantId],
    });
    expect(r.body.data).toEqual({ nodes: [{ id: m.merchantId }, null, { id: m.merchantId }] });
    expect(r.body.errors).toHaveLength(1);
    expect(r.body.errors[0]).toMatchObject({
      path: ['nodes', 1],
      extensions: { code: 'invalid_request', param: 'ids' },
    });
    const one = await t.graphql(m, 'query($id: ID!) { node(id: $id) { id } }', { id: 'nope' });
    expect(one.body.data).toEqual({ node: null });
    expect(one.body.errors[0]).toMatchObject({
      path: ['node'],
      extensions: { code: 'invalid_request', param: 'id' },
    });
  });
});

describe('first out of range in a large query', () => {
  const rows = (first: number, n: number) =>
    Array.from(
      { length: n },
      (_, i) => `e${i}: events(first: ${first}) { edges { node { id type createdAt } } }`,
    ).join(' ');

  it('is the argument error with param first, before the complexity limit', async () => {
    const m = await t.merchant();
    for (const query of [
      `{ ${rows(1000, 1)} user(userId: "u") { transactions(first: 10) { edges { node { id } } } } }`,
      `query($n: Int) { ${rows(20, 3)} more: events(first: $n) { edges { node { id } } } }`,
      `{ ${rows(100, 2)} before: events(last: 0) { edges { node { id } } } }`,
    ]) {
      const r = await t.graphql(m, query, { n: 500 });
      expect(r.body.errors, query).toHaveLength(1);
      const param = query.includes('last: 0') ? 'last' : 'first';
      expect(r.body.errors[0].message).toBe(`${param} must be from 1 to 100`);
      expect(r.body.errors[0].extensions).toMatchObject({ code: 'invalid_request', param });
    }
  });

  it('keeps the complexity limit for valid arguments', async () => {
    const m = await t.merchant();
    const r = await t.graphql(m, `{ ${rows(100, 10)} }`);
    expect(r.body.data).toBeUndefined();
    expect(r.body.errors[0].message).toMatch(/complexity of \d+ exceeds max complexity of 2000/);
    expect(r.body.errors[0].extensions).toMatchObject({ code: 'invalid_request' });
  });
});
