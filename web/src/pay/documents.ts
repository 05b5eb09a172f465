import { graphql, type ResultOf } from '../lib/tada';

// The payment page's operations, typed from the schema: the deposit once (and on every reconnect), then its
// changes live. The deposit token can read this one deposit and nothing else.

const paymentPage = graphql(`
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

const paymentPageLive = graphql(`
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

export const PaymentPage = graphql.persisted<typeof paymentPage>(
  'sha256:d72b9cfdf960b2e348c8c7ec905e9a8131f0020656261db23ab08cc73b1aa690',
  paymentPage,
);
export const PaymentPageLive = graphql.persisted<typeof paymentPageLive>(
  'sha256:edcd5681ce53e1e3370314c5d2abff8a2d5d629c259d0f788ce83f2613248f11',
  paymentPageLive,
);

export type Deposit = NonNullable<ResultOf<typeof PaymentPage>['deposit']>;
export type DepositFlag = Deposit['flags'][number];
