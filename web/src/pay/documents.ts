import { graphql, type ResultOf } from '../lib/graphql';

// The payment page's operations, typed from the schema: the deposit once (and on every reconnect), then its
// changes live. The deposit token can read this one deposit and nothing else.

export const PaymentPage = graphql(`
  query PaymentPage($id: ID!) {
    deposit(id: $id) {
      id
      network
      currency
      depositAddress
      amount
      amountReceived
      status
      confirmations
      requiredConfirmations
      txHash
      flags
      failureReason
      expiresAt
      confirmedAt
      tokenContract
      tokenDecimals
      chainId
    }
  }
`);

export const PaymentPageLive = graphql(`
  subscription PaymentPageLive($id: ID!) {
    depositUpdated(id: $id) {
      id
      status
      confirmations
      requiredConfirmations
      amountReceived
      txHash
      flags
      failureReason
    }
  }
`);

export type Deposit = NonNullable<ResultOf<typeof PaymentPage>['deposit']>;
export type DepositFlag = Deposit['flags'][number];
