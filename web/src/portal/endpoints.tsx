import { useState } from 'preact/hooks';
import { formatDateTime } from '../lib/time';
import { adminGql, errorText } from './api';
import { Badge, Loading, Panel, TextInput } from './components';
import {
  type Delivery,
  type Endpoint,
  PortalDeliveries,
  PortalEndpoints,
  PortalRedeliver,
  PortalSetEndpointEnabled,
} from './console-documents';
import { useLoaded } from './hooks';
import type { Note } from './types';

// Every merchant's webhook endpoints (failing or disabled first to look at), disable with a reason or enable,
// and the delivery log with Redeliver (the event again, same id); every action is audited with the admin.

type Show = 'failing' | 'disabled' | 'all';

export function Endpoints({ note }: { note: Note }) {
  const [show, setShow] = useState<Show>('failing');
  const {
    value: rows,
    error,
    reload,
  } = useLoaded(async () => {
    const filter = show === 'failing' ? { failing: true } : show === 'disabled' ? { enabled: false } : {};
    return (await adminGql(PortalEndpoints, { first: 50, filter })).adminWebhookEndpoints.edges.map(
      (e) => e.node,
    );
  }, [show]);
  return (
    <Panel id="endpoints" title="Webhook endpoints and deliveries" wide>
      <div class="inline">
        <select
          value={show}
          data-testid="endpoints-show"
          onChange={(e) => setShow((e.target as HTMLSelectElement).value as Show)}
        >
          <option value="failing">Failing</option>
          <option value="disabled">Disabled</option>
          <option value="all">All</option>
        </select>
        <button type="button" class="secondary" onClick={() => void reload()}>
          Refresh
        </button>
      </div>
      {error ? <p class="error">{error}</p> : null}
      {!rows ? (
        <Loading />
      ) : rows.length === 0 ? (
        <p class="muted" data-testid="endpoints-empty">
          No {show === 'all' ? '' : `${show} `}endpoint.
        </p>
      ) : (
        <ul class="rows">
          {rows.map((e) => (
            <EndpointRow key={e.id} endpoint={e} note={note} />
          ))}
        </ul>
      )}
      <h3>Failed deliveries</h3>
      <DeliveryLog filter={{ status: 'FAILED' }} note={note} />
    </Panel>
  );
}

export function EndpointRow({ endpoint, note }: { endpoint: Endpoint; note: Note }) {
  const [e, setE] = useState(endpoint);
  const [reason, setReason] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [log, setLog] = useState(false);
  const toggle = async () => {
    setError(null);
    try {
      const r = (
        await adminGql(PortalSetEndpointEnabled, {
          id: e.id,
          enabled: !e.enabled,
          reason: reason.trim() || null,
        })
      ).setWebhookEndpointEnabled;
      if (r.__typename === 'WebhookEndpoint') {
        setE(r);
        note(`webhook ${r.url} ${r.enabled ? 'enabled' : `disabled (${reason.trim()})`}`);
        setReason('');
      } else if ('code' in r) setError(`${r.message} (${r.code})`);
    } catch (err) {
      setError(errorText(err));
    }
  };
  return (
    <li class="row" data-testid="endpoint-row" data-id={e.id}>
      <div class="row-head">
        <code class="wrap">{e.url}</code>
        <Badge
          status={e.enabled ? (e.failingSince ? 'failing' : 'enabled') : 'disabled'}
          testId="endpoint-state"
        />
      </div>
      <p class="small">
        {e.id} · {e.merchantId} ({e.mode.toLowerCase()}) ·{' '}
        {e.events.length ? e.events.map((x) => x.toLowerCase()).join(', ') : 'all events'}
        {e.failingSince ? ` · failing since ${formatDateTime(e.failingSince)}` : ''}
        {e.disabledReason ? ` · ${e.disabledReason}` : ''}
      </p>
      <div class="actions">
        {e.enabled ? (
          <TextInput
            label="Reason"
            placeholder="why disable (required)"
            value={reason}
            testId="endpoint-reason"
            onValue={setReason}
          />
        ) : null}
        <button
          type="button"
          class={e.enabled ? 'danger' : ''}
          disabled={e.enabled && !reason.trim()}
          onClick={() => void toggle()}
          data-testid="endpoint-toggle"
        >
          {e.enabled ? 'Disable' : 'Enable'}
        </button>
        <button type="button" class="secondary" onClick={() => setLog(!log)}>
          {log ? 'Hide deliveries' : 'Deliveries'}
        </button>
        {error ? <span class="error">{error}</span> : null}
      </div>
      {log ? <DeliveryLog filter={{ endpointId: e.id }} note={note} /> : null}
    </li>
  );
}

type DeliveryFilter = { status?: 'FAILED' | 'PENDING'; endpointId?: string; eventId?: string };

export function DeliveryLog({ filter, note }: { filter: DeliveryFilter; note: Note }) {
  const key = JSON.stringify(filter);
  const {
    value: rows,
    error,
    reload,
  } = useLoaded(
    async () =>
      (
        await adminGql(PortalDeliveries, { first: 20, filter: JSON.parse(key) as DeliveryFilter })
      ).webhookDeliveries.edges.map((e) => e.node),
    [key],
  );
  const redeliver = async (d: Delivery) => {
    try {
      const r = (await adminGql(PortalRedeliver, { eventId: d.eventId, endpointId: d.endpointId }))
        .redeliverEvent;
      if (r.__typename === 'MutationRedeliverEventSuccess')
        note(`event ${d.eventId} redelivered to ${d.endpointId}`);
      else if ('code' in r) note(`redeliver ${d.eventId}: ${r.message}`);
      await reload();
    } catch (e) {
      note(`redeliver ${d.eventId}: ${errorText(e)}`);
    }
  };
  if (error) return <p class="error">{error}</p>;
  if (!rows) return <Loading />;
  if (rows.length === 0)
    return (
      <p class="muted" data-testid="deliveries-empty">
        No delivery.
      </p>
    );
  return (
    <ul class="jobs" data-testid="deliveries">
      {rows.map((d) => (
        <li key={`${d.eventId}:${d.endpointId}`} data-testid="delivery" data-event={d.eventId}>
          <code>{d.eventId}</code> {d.event.toLowerCase()} → {d.endpointId} ({d.merchantId}):{' '}
          <Badge status={d.status.toLowerCase()} /> after {d.attempts} attempt(s)
          {d.lastStatusCode ? `, last HTTP ${d.lastStatusCode}` : ''}
          {d.lastError ? `, ${d.lastError}` : ''}
          {d.deliveredAt ? `, delivered ${formatDateTime(d.deliveredAt)}` : ''}{' '}
          <button type="button" class="small-btn" onClick={() => void redeliver(d)} data-testid="redeliver">
            Redeliver
          </button>
        </li>
      ))}
    </ul>
  );
}
