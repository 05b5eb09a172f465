import { formatDateTime, formatDuration } from '../lib/time';
import { Loading, Panel, TableHead } from './components';
import type { Backlog, Ops, QueueStatus } from './documents';
import type { Retry } from './live';

// Webhook endpoints with undelivered events (from the live `opsHealth`, across merchants), and the failed
// delivery jobs of the `webhooks` queue with a Redeliver button each and Redeliver all failed.

export function Webhooks({ ops, error, retry }: { ops: Ops | null; error: string | null; retry: Retry }) {
  const webhooksQueue = ops?.queues.find((q) => q.name === 'webhooks');
  return (
    <Panel id="webhooks" title="Webhook endpoints with a backlog">
      {error ? <p class="error">ops: {error}</p> : null}
      {!ops ? (
        <Loading />
      ) : ops.webhookBacklog.length === 0 ? (
        <p class="muted" data-testid="backlog-empty">
          No endpoint has undelivered events.
        </p>
      ) : (
        <BacklogTable backlog={ops.webhookBacklog} />
      )}
      <h3>Failed deliveries</h3>
      <FailedDeliveries queue={webhooksQueue} retry={retry} />
      <p class="muted small">
        Redeliver here sends a failed delivery job again; to send one event again by id, or to disable or
        enable an endpoint, use <a href="#endpoints">Webhook endpoints and deliveries</a>.
      </p>
    </Panel>
  );
}

function BacklogTable({ backlog }: { backlog: Backlog[] }) {
  return (
    <table data-testid="backlog">
      <TableHead columns={['Endpoint', 'Merchant', 'State', 'Pending (due)', 'Oldest']} />
      <tbody>
        {backlog.map((b) => (
          <tr key={b.endpointId}>
            <td>
              <code class="wrap">{b.url}</code>
            </td>
            <td>
              {b.merchantId} ({b.mode.toLowerCase()})
            </td>
            <td>
              {b.enabled ? 'enabled' : 'disabled'}
              {b.failingSince ? `, failing since ${formatDateTime(b.failingSince)}` : ''}
            </td>
            <td>
              {b.pending} ({b.due})
            </td>
            <td>{formatDuration(b.oldestPendingAgeSeconds)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function FailedDeliveries({ queue, retry }: { queue: QueueStatus | undefined; retry: Retry }) {
  if (!queue || queue.failedJobs.length === 0) return <p class="muted">No failed delivery job.</p>;
  return (
    <>
      <ul class="jobs">
        {queue.failedJobs.map((j) => (
          <li key={j.jobId}>
            <code class="wrap">{j.jobId}</code>: {j.failedReason || 'failed'} after {j.attemptsMade}{' '}
            attempt(s)
            {j.failedAt ? `, ${formatDateTime(j.failedAt)}` : ''}{' '}
            <button type="button" class="small-btn" onClick={() => void retry('webhooks', j.jobId)}>
              Redeliver
            </button>
          </li>
        ))}
      </ul>
      <button type="button" onClick={() => void retry('webhooks', null)}>
        Redeliver all failed
      </button>
    </>
  );
}
