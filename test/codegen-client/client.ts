import { type Client, cacheExchange, createClient, fetchExchange } from '@urql/core';
import type { Direction } from './gql/graphql';
import { graphql } from './gql/index';

// A small frontend client typed by codegen from the live endpoint (test/integration/codegen.test.ts type-checks
// it with tsc and runs it against the server). Amounts are Decimal strings, never numbers.

export const UserBalance = graphql(`
  query UserBalance($userId: ID!) {
    user(userId: $userId) {
      id
      balance
      updatedAt
      transactions(first: 5) {
        edges {
          node {
            id
            transactionId
            amount
            direction
          }
        }
      }
    }
  }
`);

export const Refetch = graphql(`
  query Refetch($id: ID!) {
    node(id: $id) {
      __typename
      id
      ... on User {
        balance
      }
    }
  }
`);

export function connect(url: string, token: string): Client {
  return createClient({
    url,
    exchanges: [cacheExchange, fetchExchange],
    preferGetMethod: false,
    fetchOptions: () => ({ headers: { authorization: `Bearer ${token}` } }),
  });
}

export interface Summary {
  nodeId: string;
  balance: string;
  directions: Direction[];
}

/** The user's balance and latest directions, or null for a user never seen. */
export async function summary(client: Client, userId: string): Promise<Summary | null> {
  const r = await client.query(UserBalance, { userId }).toPromise();
  if (r.error) throw new Error(r.error.message);
  const user = r.data?.user;
  if (!user) return null;
  return {
    nodeId: user.id,
    balance: user.balance,
    directions: user.transactions.edges.map((e) => e.node.direction),
  };
}

/** Relay-style refetch through node(id:). */
export async function refetchBalance(client: Client, nodeId: string): Promise<string | null> {
  const r = await client.query(Refetch, { id: nodeId }).toPromise();
  const node = r.data?.node;
  return node?.__typename === 'User' ? node.balance : null;
}
