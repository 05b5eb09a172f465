import { useState } from 'preact/hooks';
import { formatDateTime } from '../lib/time';
import { adminGql } from './api';
import { Badge, Loading, Panel, TableHead } from './components';
import { type DepositSummary, PortalDepositList } from './console-documents';
import { useLoaded } from './hooks';

// Deposits across every merchant (the admin `deposits` list), newest first, filtered by merchant, mode,
// network, status, flags and time; each row opens where its money went (the search panel's detail).

type Flag = 'LATE' | 'UNDERPAID' | 'OVERPAID' | 'MULTIPLE';
type Status = 'PENDING' | 'CONFIRMING' | 'CONFIRMED' | 'EXPIRED';
const FLAGS: Flag[] = ['LATE', 'UNDERPAID', 'OVERPAID', 'MULTIPLE'];

export interface DepositFilterState {
  merchantId: string;
  mode: '' | 'LIVE' | 'TEST';
  status: '' | Status;
  network: string;
  flags: Flag[];
  since: string;
}

const EMPTY: DepositFilterState = { merchantId: '', mode: '', status: '', network: '', flags: [], since: '' };

export function Deposits({ open, tick }: { open: (kind: string, id: string) => void; tick: number }) {
  const [f, setF] = useState<DepositFilterState>(EMPTY);
  const { value, error } = useLoaded(async () => {
    const filter = {
      merchantId: f.merchantId.trim() || null,
      mode: f.mode || null,
      status: f.status || null,
      network: f.network.trim() || null,
      flags: f.flags.length ? f.flags : null,
      from: f.since ? new Date(f.since).toISOString() : null,
    };
    return (await adminGql(PortalDepositList, { first: 30, filter })).deposits;
  }, [f, tick]);
  const rows = value?.edges.map((e) => e.node) ?? null;
  const total = value?.totalCount ?? 0;
  const set = (patch: Partial<DepositFilterState>) => setF((x) => ({ ...x, ...patch }));
  return (
    <Panel id="deposits" title="Deposits" wide>
      <div class="inline">
        <input
          aria-label="Merchant"
          placeholder="merchant id"
          value={f.merchantId}
          data-testid="deposit-filter-merchant"
          onChange={(e) => set({ merchantId: (e.target as HTMLInputElement).value })}
        />
        <select
          aria-label="Mode"
          value={f.mode}
          onChange={(e) => set({ mode: (e.target as HTMLSelectElement).value as DepositFilterState['mode'] })}
        >
          <option value="">Both modes</option>
          <option value="LIVE">Live</option>
          <option value="TEST">Test</option>
        </select>
        <select
          aria-label="Status"
          value={f.status}
          data-testid="deposit-filter-status"
          onChange={(e) =>
            set({ status: (e.target as HTMLSelectElement).value as DepositFilterState['status'] })
          }
        >
          <option value="">Any status</option>
          <option value="PENDING">Pending</option>
          <option value="CONFIRMING">Confirming</option>
          <option value="CONFIRMED">Confirmed</option>
          <option value="EXPIRED">Expired</option>
        </select>
        <input
          aria-label="Network"
          placeholder="network"
          value={f.network}
          onChange={(e) => set({ network: (e.target as HTMLInputElement).value })}
        />
        {FLAGS.map((flag) => (
          <label key={flag}>
            <input
              type="checkbox"
              checked={f.flags.includes(flag)}
              data-testid={`deposit-flag-${flag.toLowerCase()}`}
              onChange={(e) => {
                const on = (e.target as HTMLInputElement).checked;
                set({ flags: on ? [...f.flags, flag] : f.flags.filter((x) => x !== flag) });
              }}
            />{' '}
            {flag.toLowerCase()}
          </label>
        ))}
        <label>
          since{' '}
          <input
            type="datetime-local"
            value={f.since}
            onChange={(e) => set({ since: (e.target as HTMLInputElement).value })}
          />
        </label>
      </div>
      {error ? <p class="error">Could not list deposits: {error}</p> : null}
      {!rows ? <Loading /> : <DepositTable rows={rows} total={total} open={open} />}
    </Panel>
  );
}

function DepositTable({
  rows,
  total,
  open,
}: {
  rows: DepositSummary[];
  total: number;
  open: (kind: string, id: string) => void;
}) {
  if (rows.length === 0)
    return (
      <p class="muted" data-testid="deposits-empty">
        No deposit matches.
      </p>
    );
  return (
    <>
      <p class="muted small" data-testid="deposits-total">
        {total} matching, newest first{total > rows.length ? ` (the first ${rows.length} shown)` : ''}.
      </p>
      <table data-testid="deposits">
        <TableHead
          columns={['Deposit', 'Merchant', 'User', 'Received / asked', 'Credited', 'Status', 'Created']}
        />
        <tbody>
          {rows.map((d) => (
            <tr key={d.id} data-testid="deposit-row" data-id={d.id}>
              <td>
                <button type="button" class="small-btn" onClick={() => open('DEPOSIT', d.id)}>
                  {d.id}
                </button>
              </td>
              <td>
                {d.merchantId} ({d.mode.toLowerCase()})
              </td>
              <td>{d.userId}</td>
              <td>
                {d.amountReceived} / {d.amount} {d.currency} ({d.network})
              </td>
              <td>{d.credited}</td>
              <td>
                <Badge status={d.status.toLowerCase()} />
                {d.flags.length ? ` ${d.flags.map((x) => x.toLowerCase()).join(', ')}` : ''}
              </td>
              <td>{formatDateTime(d.createdAt)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
