import { graphql, type ResultOf } from '../lib/tada';
import { OpsFields } from './documents';

// The ops console's operations (issue 19), typed from the schema like documents.ts: search by any id, where a
// deposit's money went, unexpected funds and their resolution, webhook endpoints and deliveries, and the two
// live subscriptions (every event across merchants; queue and scanner health).

const opsSearch = graphql(`
  query PortalSearch($query: String!) {
    opsSearch(query: $query) {
      kind
      objectId
      merchantId
      mode
      matched
      summary
      createdAt
    }
  }
`);

export const DepositFields = graphql(`
  fragment DepositFields on Deposit @_unmask {
    id
    merchantId
    mode
    userId
    network
    currency
    depositAddress
    amount
    amountReceived
    credited
    status
    flags
    confirmations
    requiredConfirmations
    txHash
    failureReason
    createdAt
    expiresAt
    confirmedAt
  }
`);

const portalDepositList = graphql(
  `
  query PortalDepositList($first: Int!, $filter: DepositFilter) {
    deposits(first: $first, filter: $filter) {
      totalCount
      edges {
        node {
          ...DepositFields
        }
      }
    }
  }
`,
  [DepositFields],
);

const portalDeposit = graphql(
  `
  query PortalDeposit($id: ID!) {
    deposit(id: $id) {
      ...DepositFields
      payments {
        txHash
        logIndex
        blockNumber
        fromAddress
        amount
        status
        transactionId
        creditedStars
        postedAt
      }
    }
  }
`,
  [DepositFields],
);

const portalLedgerTx = graphql(`
  query PortalLedgerTransaction($id: ID!) {
    ledgerTransaction(id: $id) {
      transactionId
      merchantId
      mode
      type
      amount
      fromAccount {
        kind
        code
        balanceAfter
      }
      toAccount {
        kind
        code
        balanceAfter
      }
      description
      metadata
      createdAt
    }
  }
`);

export const FundFields = graphql(`
  fragment FundFields on UnexpectedFund @_unmask {
    unexpectedFundId
    chain
    txHash
    address
    asset
    amountBaseUnits
    depositId
    merchantId
    mode
    userId
    network
    createdAt
    resolution {
      action
      userId
      amount
      transactionId
      reason
      actor
      createdAt
    }
  }
`);

const portalFunds = graphql(
  `
  query PortalUnexpectedFunds($first: Int!, $filter: UnexpectedFundFilter) {
    unexpectedFunds(first: $first, filter: $filter) {
      totalCount
      edges {
        node {
          ...FundFields
        }
      }
    }
  }
`,
  [FundFields],
);

const portalFund = graphql(
  `
  query PortalUnexpectedFund($id: ID!) {
    unexpectedFund(unexpectedFundId: $id) {
      ...FundFields
    }
  }
`,
  [FundFields],
);

const portalResolve = graphql(
  `
  mutation PortalResolveFund($id: ID!, $input: ResolveUnexpectedFundInput!) {
    resolveUnexpectedFund(unexpectedFundId: $id, input: $input) {
      __typename
      ...FundFields
      ... on Error {
        code
        message
        param
      }
    }
  }
`,
  [FundFields],
);

export const EndpointFields = graphql(`
  fragment EndpointFields on WebhookEndpoint @_unmask {
    id
    merchantId
    mode
    url
    events
    enabled
    disabledReason
    failingSince
    createdAt
  }
`);

const portalEndpoints = graphql(
  `
  query PortalEndpoints($first: Int!, $filter: AdminWebhookEndpointFilter) {
    adminWebhookEndpoints(first: $first, filter: $filter) {
      totalCount
      edges {
        node {
          ...EndpointFields
        }
      }
    }
  }
`,
  [EndpointFields],
);

const portalSetEnabled = graphql(
  `
  mutation PortalSetEndpointEnabled($id: ID!, $enabled: Boolean!, $reason: String) {
    setWebhookEndpointEnabled(id: $id, enabled: $enabled, reason: $reason) {
      __typename
      ...EndpointFields
      ... on Error {
        code
        message
      }
    }
  }
`,
  [EndpointFields],
);

const portalDeliveries = graphql(`
  query PortalDeliveries($first: Int!, $filter: WebhookDeliveryFilter) {
    webhookDeliveries(first: $first, filter: $filter) {
      totalCount
      edges {
        node {
          eventId
          endpointId
          merchantId
          mode
          event
          status
          attempts
          nextAttemptAt
          lastStatusCode
          lastError
          deliveredAt
        }
      }
    }
  }
`);

const portalRedeliver = graphql(`
  mutation PortalRedeliver($eventId: ID!, $endpointId: ID) {
    redeliverEvent(eventId: $eventId, endpointId: $endpointId) {
      __typename
      ... on MutationRedeliverEventSuccess {
        data {
          endpointId
          status
        }
      }
      ... on Error {
        code
        message
      }
    }
  }
`);

export const EventFields = graphql(`
  fragment EventFields on Event @_unmask {
    id
    merchantId
    mode
    type
    data
    createdAt
  }
`);

const portalEvent = graphql(
  `
  query PortalEvent($id: ID!) {
    node(id: $id) {
      __typename
      ...EventFields
    }
  }
`,
  [EventFields],
);

const portalOpsEvents = graphql(
  `
  subscription PortalOpsEvents($filter: OpsEventFilter) {
    opsEvents(filter: $filter) {
      ...EventFields
    }
  }
`,
  [EventFields],
);

const portalOpsHealth = graphql(
  `
  subscription PortalOpsHealth {
    opsHealth {
      ...OpsFields
    }
  }
`,
  [OpsFields],
);

const portalEvents = graphql(
  `
  query PortalEvents($first: Int!, $filter: EventFilter) {
    events(first: $first, filter: $filter) {
      totalCount
      edges {
        node {
          ...EventFields
        }
      }
    }
  }
`,
  [EventFields],
);

/** What is stuck, besides what `opsHealth` pushes: payouts waiting, decisions waiting, deposits confirming. */
const portalStuck = graphql(`
  query PortalStuck {
    approved: withdrawals(first: 50, filter: { status: APPROVED }) {
      totalCount
      edges {
        node {
          id
          merchantId
          network
          amount
          waitingReason
          createdAt
        }
      }
    }
    awaitingApproval: withdrawals(first: 1, filter: { status: PENDING_APPROVAL }) {
      totalCount
    }
    confirming: deposits(first: 1, filter: { status: CONFIRMING }) {
      totalCount
    }
    unexpected: unexpectedFunds(first: 1, filter: { state: OPEN }) {
      totalCount
    }
  }
`);

// Sent by id (web/persisted-documents.json): the ids are the sha256 of each document's text.
export const PortalSearch = graphql.persisted<typeof opsSearch>(
  'sha256:df96fc0930222c72cd1a11f7ec7489214f8f59363d27b8b23d741fa4807793a2',
  opsSearch,
);
export const PortalDepositList = graphql.persisted<typeof portalDepositList>(
  'sha256:0bbbe0156ff98dbeef4200d45e0bea474013e622ff6f95d42d3000b345254213',
  portalDepositList,
);
export const PortalDeposit = graphql.persisted<typeof portalDeposit>(
  'sha256:9d41776c88d8d70f5a7a82396285c3e718e04bab3a2b99a0b41c68ba183f1e02',
  portalDeposit,
);
export const PortalLedgerTransaction = graphql.persisted<typeof portalLedgerTx>(
  'sha256:3243283708bf3c93a1b881ae12e372355f415b40fba9d9643b6b520378385c97',
  portalLedgerTx,
);
export const PortalUnexpectedFunds = graphql.persisted<typeof portalFunds>(
  'sha256:10cbbfef77eaf28febc38bfcd4e2bdc9ebb7d2ed1071ba5bd7cffeed3a2c839a',
  portalFunds,
);
export const PortalUnexpectedFund = graphql.persisted<typeof portalFund>(
  'sha256:8daf5460bc31a3e9177c3fd4db7855dca529a397865c20408448e36bb58f751e',
  portalFund,
);
export const PortalResolveFund = graphql.persisted<typeof portalResolve>(
  'sha256:c2b803ee74a13edd93140041505c47ab787d19eca584f11d2fe819a1f76d9e88',
  portalResolve,
);
export const PortalEndpoints = graphql.persisted<typeof portalEndpoints>(
  'sha256:53b4cf4fa06f6da97553a3be2a185d9b43eccbf91eb863c974af78fab6f5b793',
  portalEndpoints,
);
export const PortalSetEndpointEnabled = graphql.persisted<typeof portalSetEnabled>(
  'sha256:2f7dfc5275b91d7d0ba8b4bb7ab0a398aafdc197dacffa7b141deb3f2e279393',
  portalSetEnabled,
);
export const PortalDeliveries = graphql.persisted<typeof portalDeliveries>(
  'sha256:28ef5ad8e20e92a3ac0a7d78c4074978833ba27e0c33a876a71cebf8f0d35f30',
  portalDeliveries,
);
export const PortalRedeliver = graphql.persisted<typeof portalRedeliver>(
  'sha256:1dd4f936b3f29cf2093032d1cdeb7096dda34a8f497c102e0c1694cd737f8e6c',
  portalRedeliver,
);
export const PortalEvent = graphql.persisted<typeof portalEvent>(
  'sha256:e0f2edce97a7ebb6e0e87521ea7fce7ed2427ebe5b0b60fc183cdda8c91f5ae7',
  portalEvent,
);
export const PortalOpsEvents = graphql.persisted<typeof portalOpsEvents>(
  'sha256:2ba71da8c6f0926d20ad21cbee861c9e4902fd6cb9b32e68cfae33d0601135df',
  portalOpsEvents,
);
export const PortalOpsHealth = graphql.persisted<typeof portalOpsHealth>(
  'sha256:3dc71a8f34878d78d989a85f4f0665aa25d657055abbcdf9c01707b661138fd5',
  portalOpsHealth,
);

export const PortalEvents = graphql.persisted<typeof portalEvents>(
  'sha256:b5d609dc38e3e0e754f18e54ef7519fc4b503a069387e9c01b810e1e2965ce9d',
  portalEvents,
);
export const PortalStuck = graphql.persisted<typeof portalStuck>(
  'sha256:b80daf985f6fb7b20faee64b674be65505934db7035611a88195806c9787a08c',
  portalStuck,
);

export type Stuck = ResultOf<typeof PortalStuck>;
export type SearchHit = ResultOf<typeof PortalSearch>['opsSearch'][number];
export type DepositSummary = ResultOf<typeof DepositFields>;
export type DepositDetail = NonNullable<ResultOf<typeof PortalDeposit>['deposit']>;
export type LedgerTx = NonNullable<ResultOf<typeof PortalLedgerTransaction>['ledgerTransaction']>;
export type Fund = ResultOf<typeof FundFields>;
export type Endpoint = ResultOf<typeof EndpointFields>;
export type Delivery = ResultOf<typeof PortalDeliveries>['webhookDeliveries']['edges'][number]['node'];
export type OpsEvent = ResultOf<typeof PortalOpsEvents>['opsEvents'];
export type OpsHealth = ResultOf<typeof PortalOpsHealth>['opsHealth'];
