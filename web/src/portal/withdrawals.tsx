import { useState } from 'preact/hooks';
import { Panel } from './components';
import type { WithdrawalStatus } from './documents';
import type { Note } from './types';
import { FOLLOW_MS, type ListState, useWithdrawals } from './use-withdrawals';
import { WithdrawalRow } from './withdrawal-row';
import { type ListFilter, PAGE_SIZE } from './withdrawals-api';

// Withdrawals across every merchant (the admin `withdrawals` list), waiting for approval by default, with
// approve / reject (reason required) and the audit trail. Decided rows stay and follow the payout worker
// (approved → processing → completed | failed) by themselves.

const STATUSES: { value: WithdrawalStatus | ''; label: string }[] = [
  { value: 'PENDING_APPROVAL', label: 'Waiting for approval' },
  { value: 'APPROVED', label: 'Approved' },
  { value: 'PROCESSING', label: 'Processing' },
  { value: 'COMPLETED', label: 'Completed' },
  { value: 'FAILED', label: 'Failed' },
  { value: 'REJECTED', label: 'Rejected' },
  { value: '', label: 'Any status' },
];

export function Withdrawals({ note, pollMs, tick }: { note: Note; pollMs: number; tick: number }) {
  const [filter, setFilter] = useState<ListFilter>({ status: 'PENDING_APPROVAL', merchantId: '', mode: '' });
  const { rows, list, followError, decide, find } = useWithdrawals(filter, pollMs, note, tick);
  return (
    <Panel id="withdrawals" title="Withdrawals" wide>
      <Filters filter={filter} onChange={setFilter} />
      <Search find={find} />
      <ListNotice list={list} />
      {followError ? <p class="error">Could not follow the payouts: {followError}</p> : null}
      {rows.length === 0 ? (
        <p class="muted" data-testid="withdrawals-empty">
          {list.kind === 'ok' ? 'No withdrawal matches.' : 'No withdrawal shown.'}
        </p>
      ) : (
        <ul class="rows">
          {rows.map((r) => (
            <WithdrawalRow key={r.id} row={r} decide={decide} />
          ))}
        </ul>
      )}
    </Panel>
  );
}

function ListNotice({ list }: { list: ListState }) {
  if (list.kind === 'loading') return <p class="muted">Loading…</p>;
  if (list.kind === 'refused')
    return (
      <p class="gap" data-testid="withdrawals-gap">
        This server does not list withdrawals to admins ({list.text}). Find a withdrawal by its id instead.
      </p>
    );
  if (list.kind === 'error') return <p class="error">Could not list withdrawals: {list.text}</p>;
  return (
    <p class="muted small" data-testid="withdrawals-total">
      {list.total} matching, newest first{list.total > PAGE_SIZE ? ` (the first ${PAGE_SIZE} shown)` : ''}.
      Approved and processing rows update every {FOLLOW_MS / 1000} s until they are final.
    </p>
  );
}

function Filters({ filter, onChange }: { filter: ListFilter; onChange: (f: ListFilter) => void }) {
  const [merchant, setMerchant] = useState(filter.merchantId);
  return (
    <form
      class="inline"
      onSubmit={(e) => {
        e.preventDefault();
        onChange({ ...filter, merchantId: merchant.trim() });
      }}
    >
      <label for="wd-status">Status</label>
      <select
        id="wd-status"
        value={filter.status}
        onChange={(e) =>
          onChange({ ...filter, status: (e.target as HTMLSelectElement).value as ListFilter['status'] })
        }
        data-testid="withdrawal-filter-status"
      >
        {STATUSES.map((s) => (
          <option key={s.value} value={s.value}>
            {s.label}
          </option>
        ))}
      </select>
      <label for="wd-mode">Mode</label>
      <select
        id="wd-mode"
        value={filter.mode}
        onChange={(e) =>
          onChange({ ...filter, mode: (e.target as HTMLSelectElement).value as ListFilter['mode'] })
        }
      >
        <option value="">Live and test</option>
        <option value="LIVE">Live</option>
        <option value="TEST">Test</option>
      </select>
      <label for="wd-merchant">Merchant</label>
      <input
        id="wd-merchant"
        value={merchant}
        placeholder="any (mer_…)"
        onInput={(e) => setMerchant((e.target as HTMLInputElement).value)}
      />
      <button type="submit" class="secondary">
        Show
      </button>
    </form>
  );
}

function Search({ find }: { find: (id: string) => Promise<string | null> }) {
  const [id, setId] = useState('');
  const [error, setError] = useState<string | null>(null);
  const submit = async (e: Event) => {
    e.preventDefault();
    const wanted = id.trim();
    if (!wanted) return;
    const err = await find(wanted);
    setError(err);
    // Clear the field only if it still holds what was searched: the user may have typed another id since.
    if (!err) setId((current) => (current.trim() === wanted ? '' : current));
  };
  return (
    <form class="inline" onSubmit={submit}>
      <label for="wd-id">Find by id</label>
      <input
        id="wd-id"
        value={id}
        placeholder="pay_…"
        onInput={(e) => setId((e.target as HTMLInputElement).value)}
        data-testid="withdrawal-id"
      />
      <button type="submit" class="secondary" disabled={!id.trim()}>
        Find
      </button>
      {error ? (
        <span class="error" role="alert" data-testid="withdrawal-find-error">
          {error}
        </span>
      ) : null}
    </form>
  );
}
