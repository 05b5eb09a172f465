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
