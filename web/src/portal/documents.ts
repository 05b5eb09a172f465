import { graphql, type ResultOf } from '../lib/graphql';

// Every operation of the ops portal (admin session), typed from the schema; the types the panels use are
// derived from these results, not written by hand.

export const WithdrawalFields = graphql(`
  fragment WithdrawalFields on Withdrawal @_unmask {
    id
    merchantId
    mode
    userId
    network
    walletAddress
    status
    payoutState
    confirmations
    waitingReason
    amount
    fee
    amountUsdt
    networkFee
    txHash
    failureReason
    createdAt
    completedAt
    audit {
      action
      actor
      reason
      at
    }
  }
`);

export const PortalWithdrawals = graphql(
  `
  query PortalWithdrawals($first: Int!, $filter: WithdrawalFilter) {
    withdrawals(first: $first, filter: $filter) {
      totalCount
      edges {
        node {
          ...WithdrawalFields
        }
      }
    }
  }
`,
  [WithdrawalFields],
);

/** Reads withdrawals by id in one request (Relay's nodes(ids:)); an id it cannot see answers null. */
export const PortalRead = graphql(
  `
  query PortalRead($ids: [ID!]!) {
    nodes(ids: $ids) {
      __typename
      ...WithdrawalFields
    }
  }
`,
  [WithdrawalFields],
);

/** One withdrawal by the id an operator typed: null when there is none (or the id is not one). */
export const PortalFind = graphql(
  `
  query PortalFind($id: ID!) {
    withdrawal(id: $id) {
      ...WithdrawalFields
    }
  }
`,
  [WithdrawalFields],
);

export const PortalApprove = graphql(
  `
  mutation PortalApprove($id: ID!) {
    approveWithdrawal(id: $id) {
      __typename
      ...WithdrawalFields
      ... on Error {
        code
        message
      }
    }
  }
`,
  [WithdrawalFields],
);

export const PortalReject = graphql(
  `
  mutation PortalReject($id: ID!, $reason: String!) {
    rejectWithdrawal(id: $id, reason: $reason) {
      __typename
      ...WithdrawalFields
      ... on Error {
        code
        message
      }
    }
  }
`,
  [WithdrawalFields],
);

export const PortalDeposits = graphql(`
  query PortalDeposits {
    deposits(first: 20) {
      totalCount
      edges {
        node {
          id
          userId
          network
          currency
          amount
          amountReceived
          status
          flags
          createdAt
        }
      }
    }
  }
`);

export const PortalOps = graphql(`
  query PortalOps {
    ops {
      at
      queues {
        name
        paused
        counts {
          waiting
          active
          delayed
          failed
          completed
        }
        oldestWaitingAgeSeconds
        failedJobs {
          jobId
          name
          failedReason
          attemptsMade
          failedAt
        }
        error
      }
      scanners {
        chain
        headBlock
        cursorBlock
        lagBlocks
        lagSeconds
      }
      webhookBacklog {
        endpointId
        merchantId
        mode
        url
        enabled
        failingSince
        pending
        due
        oldestPendingAgeSeconds
      }
    }
  }
`);

export const PortalRetryJob = graphql(`
  mutation PortalRetryJob($queue: String!, $jobId: ID!) {
    retryJob(queue: $queue, jobId: $jobId)
  }
`);

export const PortalRetryAll = graphql(`
  mutation PortalRetryAll($queue: String!) {
    retryAllFailed(queue: $queue)
  }
`);

export type Withdrawal = ResultOf<typeof WithdrawalFields>;
export type WithdrawalStatus = Withdrawal['status'];
export type AuditEntry = Withdrawal['audit'][number];
export type DepositRow = ResultOf<typeof PortalDeposits>['deposits']['edges'][number]['node'];
export type Ops = ResultOf<typeof PortalOps>['ops'];
export type QueueStatus = Ops['queues'][number];
export type ScannerStatus = Ops['scanners'][number];
export type Backlog = Ops['webhookBacklog'][number];
