import { formatDuration } from '../lib/time';
import { Loading, Panel, TableHead } from './components';
import type { Ops, QueueStatus, ScannerStatus } from './documents';

// Chain scanners (head, next block, lag) and BullMQ queues (counts), from `ops`, with a link to the queue
// dashboard (/admin/queues, opened with the cookie the sign-in set for it).

export function Chains({ ops }: { ops: Ops | null }) {
  return (
    <Panel id="chains" title="Chain scanners and queues">
      {ops ? (
        <>
          <Scanners scanners={ops.scanners} />
          <Queues queues={ops.queues} />
          <p>
            <a href="/admin/queues" target="_blank" rel="noopener">
              Open the queue dashboard (/admin/queues) ↗
            </a>
          </p>
        </>
      ) : (
        <Loading />
      )}
    </Panel>
  );
}

function Scanners({ scanners }: { scanners: ScannerStatus[] }) {
  return (
    <table data-testid="scanners">
      <TableHead columns={['Chain', 'Head', 'Next block', 'Lag']} />
      <tbody>
        {scanners.length === 0 ? (
          <tr>
            <td colSpan={4} class="muted">
              No scanner has run yet.
            </td>
          </tr>
        ) : (
          scanners.map((s) => (
            <tr key={s.chain}>
              <td>{s.chain}</td>
              <td>{s.headBlock ?? '–'}</td>
              <td>{s.cursorBlock}</td>
              <td>
                {s.lagBlocks ?? '?'} blocks
                {s.lagSeconds !== null ? `, head read ${formatDuration(s.lagSeconds)} ago` : ''}
              </td>
            </tr>
          ))
        )}
      </tbody>
    </table>
  );
}

function Queues({ queues }: { queues: QueueStatus[] }) {
  return (
    <table data-testid="queues">
      <TableHead columns={['Queue', 'Waiting', 'Active', 'Delayed', 'Failed', 'Done']} />
      <tbody>
        {queues.map((q) => (
          <tr key={q.name}>
            <td>
              {q.name}
              {q.paused ? ' (paused)' : ''}
            </td>
            {q.counts ? (
              <>
                <td>
                  {q.counts.waiting}
                  {q.oldestWaitingAgeSeconds !== null
                    ? ` (oldest ${formatDuration(q.oldestWaitingAgeSeconds)})`
                    : ''}
                </td>
                <td>{q.counts.active}</td>
                <td>{q.counts.delayed}</td>
                <td>{q.counts.failed}</td>
                <td>{q.counts.completed}</td>
              </>
            ) : (
              <td colSpan={5} class="error">
                {q.error ?? 'no answer'}
              </td>
            )}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
