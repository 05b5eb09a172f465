import { describe, expect, it } from 'vitest';
import { useTestApp } from '../helpers/app.js';
import { untilListable } from '../helpers/outbox.js';

// A not-found error's `param` names the argument the caller gave (found by the cross-tenant attacker: two
// mutations said `id` for an argument of another name).

const t = useTestApp();

describe('a not-found error names the argument that was given', () => {
  it('simulateDeposit(depositId:) says depositId', async () => {
    const m = await t.merchant();
    const r = await t.graphql(
      m,
      'mutation { simulateDeposit(depositId: "dep_nope") { __typename ... on Error { code param } } }',
    );
    expect(r.body.data.simulateDeposit).toEqual({
      __typename: 'NotFoundError',
      code: 'not_found',
      param: 'depositId',
    });
  });

  it('redeliverEvent(endpointId:) says endpointId', async () => {
    const m = await t.merchant();
    await t.credit(m, 'payer', '5');
    await t.graphql(
      m,
      'mutation { transfer(input: {fromUserId: "payer", toUserId: "payee", amount: "1"}) { __typename } }',
    );
    await untilListable(t.app.pool);
    const ev = await t.graphql(
      m,
      '{ events(first: 1, filter: {type: TRANSFER_COMPLETED}) { edges { node { id } } } }',
    );
    const r = await t.graphql(
      m,
      `mutation($e: ID!) { redeliverEvent(eventId: $e, endpointId: "whe_nope") { __typename ... on Error { code param } } }`,
      { e: ev.body.data.events.edges[0].node.id },
    );
    expect(r.body.data.redeliverEvent).toEqual({
      __typename: 'NotFoundError',
      code: 'not_found',
      param: 'endpointId',
    });
  });
});
