import { render } from 'preact';
import { logout } from './api';
import { Chains } from './chains';
import { Deposits } from './deposits';
import { Feed } from './feed';
import { useFeed, usePollMs } from './hooks';
import { useOps } from './use-ops';
import { Webhooks } from './webhooks';
import { Withdrawals } from './withdrawals';
import './portal.css';

// The ops portal (/portal, behind the admin session). Everything comes from GraphQL with the admin session:
// withdrawals across merchants (list, approve / reject with their audit trail, followed to completed), the
// admin `ops` field (queues, scanners, webhook backlog), polled for the live feed because the API has no
// admin subscription. One module per panel: withdrawals.tsx (with use-withdrawals.ts, withdrawal-row.tsx,
// withdrawals-api.ts), deposits.tsx, webhooks.tsx, chains.tsx (both from use-ops.ts) and feed.tsx.

function App() {
  const pollMs = usePollMs();
  const [feed, note] = useFeed();
  const { ops, error, retry } = useOps(pollMs, note);
  return (
    <div class="portal">
      <Header />
      <main class="grid">
        <Withdrawals note={note} pollMs={pollMs} />
        <Deposits />
        <Webhooks ops={ops} error={error} retry={retry} />
        <Chains ops={ops} />
        <Feed feed={feed} pollMs={pollMs} />
      </main>
    </div>
  );
}

function Header() {
  return (
    <header class="top">
      <h1>NovaPay ops</h1>
      <nav aria-label="Sections">
        <a href="#withdrawals">Withdrawals</a>
        <a href="#deposits">Deposits</a>
        <a href="#webhooks">Webhooks</a>
        <a href="#chains">Chains and queues</a>
        <a href="#feed">Live feed</a>
        <a href="/admin/queues" target="_blank" rel="noopener">
          Queue dashboard ↗
        </a>
      </nav>
      <button type="button" class="secondary" onClick={() => void logout()} data-testid="logout">
        Sign out
      </button>
    </header>
  );
}

const root = document.getElementById('app');
if (root) render(<App />, root);
