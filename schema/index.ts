import { type GraphQLSchema, lexicographicSortSchema } from 'graphql';
import { builder } from './builder.js';
import './scalars.js';
import './errors.js';
import './merchant.js';
import './transaction.js';
import './user.js';
import './transfer.js';
import './admin.js';
import './session.js';
import './webhook.js';
import './webhook-admin.js';
import './event.js';
import './subscription.js';
import './deposit.js';
import './deposit-live.js';
import './deposit-list.js';
import './withdrawal.js';
import './withdrawal-decisions.js';
import './ops.js';
import './unexpected-funds.js';
import './ops-search.js';
import './ops-live.js';
import './treasury.js';
import './treasury-admin.js';

builder.queryType({
  description:
    'Reads. API keys see their merchant and mode; browser tokens only what they were minted for; admin tokens the ops fields.',
});
builder.mutationType({
  description:
    'Writes. Expected failures come back as members of each result union (`... on Error`), not as top-level errors.',
});

let schema: GraphQLSchema | null = null;

/** Builds the schema once per process (Pothos builders are single-use). */
export function getSchema(): GraphQLSchema {
  schema ??= builder.toSchema({ sortSchema: false });
  return schema;
}

export function printableSchema(): GraphQLSchema {
  return lexicographicSortSchema(getSchema());
}
