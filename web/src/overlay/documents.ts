import { graphql, type ResultOf } from '../lib/tada';

// The overlay's one operation: the donations of the stream its token names.

const overlay = graphql(`
  subscription Overlay($streamId: ID!) {
    donationReceived(streamId: $streamId) {
      id
      fromUserId
      amount
      message
      metadata
    }
  }
`);

export const Overlay = graphql.persisted<typeof overlay>(
  'sha256:2886db08b432e7b761a914eb903493364a4cfd3ae1c846ccebb5cdc459c92de8',
  overlay,
);

export type Donation = ResultOf<typeof Overlay>['donationReceived'];
