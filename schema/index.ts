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
import './event.js';
import './subscription.js';
import './deposit.js';
import './withdrawal.js';
import './ops.js';

builder.queryType({});
builder.mutationType({});

let schema: GraphQLSchema | null = null;

/** Builds the schema once per process (Pothos builders are single-use). */
export function getSchema(): GraphQLSchema {
  schema ??= builder.toSchema({ sortSchema: false });
  return schema;
}

export function printableSchema(): GraphQLSchema {
  return lexicographicSortSchema(getSchema());
}
