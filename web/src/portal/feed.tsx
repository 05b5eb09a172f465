import type { ConnectionState } from '../lib/graphql';
import { Panel } from './components';
import type { FeedItem } from './types';

// The live feed: every event of every merchant as it is published (`opsEvents`), what changed in queues,
// scanners and the webhook backlog (`opsHealth`), and this portal's own decisions, over one graphql-ws
// connection authenticated by the portal session.

const STATE_TEXT: Record<ConnectionState, string> = {
  connecting: 'Connecting…',
  live: 'Live',
  reconnecting: 'Reconnecting…',
  refused: 'Disconnected: sign in again',
};

export function Feed({ feed, state }: { feed: FeedItem[]; state: ConnectionState }) {
  return (
    <Panel id="feed" title="Live feed">
      <p class="muted small">
        <span class={`badge s-${state}`} data-testid="feed-state">
          {STATE_TEXT[state]}
        </span>{' '}
        Every event across merchants (<code>opsEvents</code>), queue and scanner changes (
        <code>opsHealth</code>), and this portal's own decisions, pushed over the WebSocket.
      </p>
      <ol class="feed" data-testid="feed" aria-live="polite">
        {feed.map((f, i) => (
          <li key={`${f.at}-${i}`}>
            <time dateTime={f.at}>{new Date(f.at).toLocaleTimeString()}</time> {f.text}
          </li>
        ))}
      </ol>
    </Panel>
  );
}
