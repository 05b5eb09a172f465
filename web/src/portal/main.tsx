import { render } from 'preact';
import { useCallback, useState } from 'preact/hooks';
import { logout } from './api';
import { Chains } from './chains';
import { Deposits } from './deposits';
import { Endpoints } from './endpoints';
import { Events } from './events';
import { Feed } from './feed';
import { useFeed, usePollMs } from './hooks';
import { useLive } from './live';
import { type Opened, Search } from './search';
import { Stuck } from './stuck';
import { Treasury } from './treasury';
import { UnexpectedFunds } from './unexpected';
import { Webhooks } from './webhooks';
import { Withdrawals } from './withdrawals';
import './portal.css';

// The ops portal (/portal, behind the admin session): run the business from one place. What is stuck
// (stuck.tsx); search any id a
// customer quotes and see where the money is (search.tsx, money-views.tsx); withdrawals across merchants
// (withdrawals.tsx …); deposits with their flags (deposits.tsx); unexpected funds and their one-time resolution
// (unexpected.tsx); every merchant's events (events.tsx); webhook endpoints and deliveries with redeliver, disable and enable (endpoints.tsx); the
// webhook backlog and failed jobs (webhooks.tsx), scanners and queues (chains.tsx), the treasury (treasury.tsx) and the live feed
// (feed.tsx), pushed over one graphql-ws connection (live.ts: `opsHealth` and `opsEvents`).

function App() {
  const pollMs = usePollMs();
  const [feed, note] = useFeed();
  const live = useLive(note);
  const [opened, setOpened] = useState<Opened | null>(null);
  const open = useCallback((kind: string, id: string) => {
    setOpened({ kind, id });
    document.getElementById('search')?.scrollIntoView({ block: 'start' });
  }, []);
  return (
    <div class="portal">
      <Header />
      <main class="grid">
        <Stuck ops={live.ops} tick={live.moneyTick} />
        <Search opened={opened} open={open} note={note} />
        <Withdrawals note={note} pollMs={pollMs} tick={live.withdrawalTick} />
        <Deposits open={open} tick={live.moneyTick} />
        <UnexpectedFunds note={note} tick={live.moneyTick} />
        <Feed feed={feed} state={live.state} />
        <Events open={open} tick={live.moneyTick} />
        <Endpoints note={note} />
        <Webhooks ops={live.ops} error={live.error} retry={live.retry} />
        <Chains ops={live.ops} />
        <Treasury ops={live.ops} note={note} refresh={live.refresh} />
      </main>
    </div>
  );
}

function Header() {
  return (
    <header class="top">
      <h1>NovaPay ops</h1>
      <nav aria-label="Sections">
        <a href="#stuck">Stuck</a>
        <a href="#search">Find</a>
        <a href="#withdrawals">Withdrawals</a>
        <a href="#deposits">Deposits</a>
        <a href="#unexpected">Unexpected funds</a>
        <a href="#feed">Live feed</a>
        <a href="#events">Events</a>
        <a href="#endpoints">Webhooks</a>
        <a href="#chains">Chains and queues</a>
        <a href="#treasury">Treasury</a>
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
