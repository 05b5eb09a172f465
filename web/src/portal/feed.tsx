import { Panel } from './components';
import type { FeedItem } from './types';

// The live feed: what changed in `ops` between polls (jobs completed or failed, new chain heads, endpoints that
// start failing or catch up) together with this portal's own decisions and the payouts it follows.

export function Feed({ feed, pollMs }: { feed: FeedItem[]; pollMs: number }) {
  return (
    <Panel id="feed" title="Live feed">
      <p class="muted small">
        Polled from <code>ops</code> every {Math.round(pollMs / 100) / 10} s, with this portal's own decisions
        and the withdrawals it follows: the API has no event subscription for admins.
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
