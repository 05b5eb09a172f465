import { graphql, type ResultOf } from '../lib/tada';

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

const portalWithdrawals = graphql(
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
const portalRead = graphql(
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
const portalFind = graphql(
  `
  query PortalFind($id: ID!) {
    withdrawal(id: $id) {
      ...WithdrawalFields
    }
  }
`,
  [WithdrawalFields],
);

const portalApprove = graphql(
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

const portalReject = graphql(
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

const portalDeposits = graphql(`
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

/** What the ops panels show of `OpsStatus`: read by `ops` after a retry, pushed by `opsHealth` (console-documents.ts). */
export const OpsFields = graphql(`
  fragment OpsFields on OpsStatus @_unmask {
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
    hotWallets {
      walletKey
      address
      alert
      inFlight
      confirming
    }
    treasury {
      network
      mode
      paused
      pausedBy
      custody {
        asset
        place
        balanceBaseUnits
      }
      sweepsOpen
      sweepsFailed24h
      fees24hBaseUnits
      reconciliation {
        status
        checkedAt
        alert
      }
    }
  }
`);

const portalOps = graphql(
  `
  query PortalOps {
    ops {
      ...OpsFields
    }
  }
`,
  [OpsFields],
);

const portalRetryJob = graphql(`
  mutation PortalRetryJob($queue: String!, $jobId: ID!) {
    retryJob(queue: $queue, jobId: $jobId)
  }
`);

const portalRetryAll = graphql(`
  mutation PortalRetryAll($queue: String!) {
    retryAllFailed(queue: $queue)
  }
`);

// Sent by id (web/persisted-documents.json): the ids are the sha256 of each document's text.
export const PortalWithdrawals = graphql.persisted<typeof portalWithdrawals>(
  'sha256:46e1ef4ca7b674bba3015e08694a2a637626c5b11d909a65a269d657b4e262cf',
  portalWithdrawals,
);
export const PortalRead = graphql.persisted<typeof portalRead>(
  'sha256:abe529adfc6041521828a1d882aab2d75990e524a118873ef3e5a9aeadf40d25',
  portalRead,
);
export const PortalFind = graphql.persisted<typeof portalFind>(
  'sha256:539d9bd0e9e152137c2556d2daa6de7ec820110a8eab7ef0c3792858908e176d',
  portalFind,
);
export const PortalApprove = graphql.persisted<typeof portalApprove>(
  'sha256:cb6fe2a36fbf9b2f0f56f2eb28a2e2c8fe3f5fd652d9c0f6224f13e548f14c39',
  portalApprove,
);
export const PortalReject = graphql.persisted<typeof portalReject>(
  'sha256:873f5ed6f98abb98421d6285f5699a269a21fa43858b38228e001f28a3c748d8',
  portalReject,
);
export const PortalDeposits = graphql.persisted<typeof portalDeposits>(
  'sha256:9a5d1ab439d6523e816e6a258d5023ba6c37ef2877f844ce71a4b0ac98575a4a',
  portalDeposits,
);
export const PortalOps = graphql.persisted<typeof portalOps>(
  'sha256:e62bdddf9d9cabb42a6c3f2ba52493e396b01b04e8bed040366d22dc7d35a47b',
  portalOps,
);
export const PortalRetryJob = graphql.persisted<typeof portalRetryJob>(
  'sha256:499961bc84c86d8fd3524f138f337e4005ac38637e3032c409654aebb597546b',
  portalRetryJob,
);
export const PortalRetryAll = graphql.persisted<typeof portalRetryAll>(
  'sha256:9f30087a7cc8b843d64da292b8b751c990980f9875f86f267dbb4f8fd9cf03b1',
  portalRetryAll,
);

export type Withdrawal = ResultOf<typeof WithdrawalFields>;
export type WithdrawalStatus = Withdrawal['status'];
export type AuditEntry = Withdrawal['audit'][number];
export type DepositRow = ResultOf<typeof PortalDeposits>['deposits']['edges'][number]['node'];
export type Ops = ResultOf<typeof PortalOps>['ops'];
export type TreasuryRow = Ops['treasury'][number];
export type QueueStatus = Ops['queues'][number];
export type ScannerStatus = Ops['scanners'][number];
export type Backlog = Ops['webhookBacklog'][number];
