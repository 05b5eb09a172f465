import { useState } from 'preact/hooks';
import { formatDateTime } from '../lib/time';
import { adminGql } from './api';
import { Loading, Panel, TextInput } from './components';
import { PortalEvents } from './console-documents';
import { useLoaded } from './hooks';
import { describeEvent } from './live';

// Every merchant's events, newest first (`events` for admins): what happened to a merchant since a time,
// to catch up on what the live feed showed (or did not, while disconnected). An event opens with its data and
// deliveries in the search panel's detail.

const TYPES = [
  'DEPOSIT_CONFIRMED',
  'DEPOSIT_FAILED',
  'DEPOSIT_UPDATED',
  'PAYOUT_COMPLETED',
  'PAYOUT_FAILED',
  'WITHDRAWAL_UPDATED',
  'TRANSFER_COMPLETED',
  'BALANCE_ADJUSTED',
] as const;
type EventType = (typeof TYPES)[number];

export function Events({ open, tick }: { open: (kind: string, id: string) => void; tick: number }) {
  const [merchantId, setMerchantId] = useState('');
  const [type, setType] = useState<'' | EventType>('');
  const [since, setSince] = useState('');
  const { value, error } = useLoaded(async () => {
    const filter = {
      merchantId: merchantId.trim() || null,
      type: type || null,
      from: since ? new Date(since).toISOString() : null,
    };
    return (await adminGql(PortalEvents, { first: 30, filter })).events;
  }, [merchantId, type, since, tick]);
  return (
    <Panel id="events" title="Events">
      <div class="inline">
        <TextInput
          label="Merchant"
          placeholder="merchant id"
          value={merchantId}
          onValue={setMerchantId}
          testId="events-merchant"
        />
        <select
          aria-label="Type"
          value={type}
          data-testid="events-type"
          onChange={(e) => setType((e.target as HTMLSelectElement).value as EventType)}
        >
          <option value="">Every type</option>
          {TYPES.map((t) => (
            <option key={t} value={t}>
              {t.toLowerCase().replace(/_/g, '.')}
            </option>
          ))}
        </select>
        <label>
          since{' '}
          <input
            type="datetime-local"
            value={since}
            onChange={(e) => setSince((e.target as HTMLInputElement).value)}
          />
        </label>
      </div>
      {error ? <p class="error">{error}</p> : null}
      {!value ? (
        <Loading />
      ) : value.edges.length === 0 ? (
        <p class="muted">No event matches.</p>
      ) : (
        <>
          <p class="muted small">{value.totalCount} matching, newest first.</p>
          <ol class="feed" data-testid="events">
            {value.edges.map(({ node: e }) => (
              <li key={e.id}>
                <time dateTime={e.createdAt}>{formatDateTime(e.createdAt)}</time>{' '}
                <button type="button" class="small-btn" onClick={() => open('EVENT', e.id)}>
                  {e.id}
                </button>{' '}
                {describeEvent(e)}
              </li>
            ))}
          </ol>
        </>
      )}
    </Panel>
  );
}
