import { graphql, type ResultOf } from '../lib/tada';

// The treasury panel's admin mutations (docs/treasury.md "Runbook"), typed from the schema like documents.ts:
// a sweep pass now, pause or resume a network's sweeping, and the sweep of one deposit address. Each answers a
// result union: what was done, or the refusal's code and message.

export const SweepRequestFields = graphql(`
  fragment SweepRequestFields on SweepRequest @_unmask {
    network
    mode
    address
    unsweptBaseUnits
    jobId
  }
`);

const portalSweepNow = graphql(
  `
  mutation PortalSweepNow($network: String!, $mode: Mode!) {
    sweepNow(network: $network, mode: $mode) {
      __typename
      ...SweepRequestFields
      ... on Error {
        code
        message
      }
    }
  }
`,
  [SweepRequestFields],
);

const portalPauseSweeping = graphql(`
  mutation PortalPauseSweeping($network: String!, $mode: Mode!, $paused: Boolean!, $reason: String) {
    pauseSweeping(network: $network, mode: $mode, paused: $paused, reason: $reason) {
      __typename
      ... on SweepingControl {
        network
        mode
        paused
        changedBy
        changedAt
      }
      ... on Error {
        code
        message
      }
    }
  }
`);

const portalSweepAddress = graphql(
  `
  mutation PortalSweepAddress($network: String!, $mode: Mode!, $address: String!) {
    sweepAddress(network: $network, mode: $mode, address: $address) {
      __typename
      ...SweepRequestFields
      ... on Error {
        code
        message
      }
    }
  }
`,
  [SweepRequestFields],
);

// Sent by id (web/persisted-documents.json): the ids are the sha256 of each document's text.
export const PortalSweepNow = graphql.persisted<typeof portalSweepNow>(
  'sha256:92fde0d05a86e22b8b4a641f2369fa4e65760afbb20897f381572d1f59974e1a',
  portalSweepNow,
);
export const PortalPauseSweeping = graphql.persisted<typeof portalPauseSweeping>(
  'sha256:c39be699cfe478531d47b6ab5184118c8dcdda1847c60d266dab8076ba2be3ec',
  portalPauseSweeping,
);
export const PortalSweepAddress = graphql.persisted<typeof portalSweepAddress>(
  'sha256:624d9e0121531a48b5083506f1bb4dc319db4f53bd2728e7a50a9f548f2ca1c9',
  portalSweepAddress,
);

export type SweepNowResult = ResultOf<typeof PortalSweepNow>['sweepNow'];
export type PauseSweepingResult = ResultOf<typeof PortalPauseSweeping>['pauseSweeping'];
export type SweepAddressResult = ResultOf<typeof PortalSweepAddress>['sweepAddress'];
