import { render } from 'preact';
import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { ApiError } from '../lib/graphql';
import { formatDateTime, formatDuration } from '../lib/time';
import { adminGql, errorText, logout } from './api';
import './portal.css';

// The ops portal (/portal, behind the admin session). Everything comes from GraphQL with the admin session:
// withdrawal decisions (approveWithdrawal / rejectWithdrawal with their audit trail) and the admin `ops` field
// (queues, scanners, webhook backlog), polled for the live feed because the API has no admin subscription.
// Lists the API does not (yet) offer to admins are asked for anyway and explained when refused, so they
// appear here as soon as the API allows them.

interface AuditEntry {
  action: string;
  actor: string;
  reason: string | null;
  at: string;
}
interface Withdrawal {
  id: string;
  userId: string;
  network: string;
  walletAddress: string;
  status: string;
  amount: string;
  fee: string;
  amountUsdt: string;
  networkFee: string;
  txHash: string | null;
  failureReason: string | null;
  createdAt: string;
  audit: AuditEntry[];
}
interface FailedJob {
  id: string;
  name: string;
  failedReason: string;
  attemptsMade: number;
  failedAt: string | null;
}
interface QueueStatus {
  name: string;
  paused: boolean | null;
  counts: { waiting: number; active: number; delayed: number; failed: number; completed: number } | null;
  oldestWaitingAgeSeconds: number | null;
  failedJobs: FailedJob[];
  error: string | null;
}
interface ScannerStatus {
  chain: string;
  headBlock: number | null;
  cursorBlock: number;
  lagBlocks: number | null;
  lagSeconds: number | null;
}
interface Backlog {
  endpointId: string;
  merchantId: string;
  mode: string;
  url: string;
  status: string;
  failingSince: string | null;
  pending: number;
  due: number;
  oldestPendingAgeSeconds: number;
}
interface Ops {
  at: string;
  queues: QueueStatus[];
  scanners: ScannerStatus[];
  webhookBacklog: Backlog[];
}
interface FeedItem {
  at: string;
  text: string;
}

const W = `id userId network walletAddress status amount fee amountUsdt networkFee txHash failureReason createdAt
  audit { action actor reason at }`;
const PENDING = `query PortalPending { withdrawals(first: 50, filter: { status: pending_approval }) {
  totalCount edges { node { ${W} } } } }`;
const APPROVE = `mutation PortalApprove($id: ID!) { approveWithdrawal(id: $id) {
  __typename ... on Withdrawal { ${W} } ... on Error { code message } } }`;
const REJECT = `mutation PortalReject($id: ID!, $reason: String!) { rejectWithdrawal(id: $id, reason: $reason) {
  __typename ... on Withdrawal { ${W} } ... on Error { code message } } }`;
const DEPOSITS = `query PortalDeposits { deposits(first: 20) { totalCount edges { node {
  id userId network currency amount amountReceived status flags createdAt } } } }`;
const OPS = 'query PortalOps { ops }';
const RETRY_JOB =
  'mutation PortalRetryJob($queue: String!, $jobId: String!) { retryJob(queue: $queue, jobId: $jobId) }';
const RETRY_ALL = 'mutation PortalRetryAll($queue: String!) { retryAllFailed(queue: $queue) }';

type Decision = { __typename: 'Withdrawal' } & Withdrawal;
type DecisionError = { __typename: string; code: string; message: string };

function isRefusal(e: unknown) {
  return e instanceof ApiError && e.code === 'forbidden';
}

function App() {
  const pollMs = useMemo(() => {
    const v = Number.parseInt(new URLSearchParams(window.location.search).get('poll') ?? '', 10);
    return Number.isFinite(v) ? Math.min(60_000, Math.max(500, v)) : 5000;
  }, []);
  const [feed, setFeed] = useState<FeedItem[]>([]);
  const note = useCallback((text: string) => {
    setFeed((f) => [{ at: new Date().toISOString(), text }, ...f].slice(0, 200));
  }, []);

  return (
    <div class="portal">
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
      <main class="grid">
        <Withdrawals note={note} />
        <Deposits />
        <OpsPanels pollMs={pollMs} note={note} />
        <Feed feed={feed} pollMs={pollMs} />
      </main>
    </div>
  );
}

// ---- Withdrawals ----------------------------------------------------------------------------------------

interface Row {
  id: string;
  w: Withdrawal | null;
  error: string | null;
  busy: boolean;
}

function Withdrawals({ note }: { note: (t: string) => void }) {
  const [rows, setRows] = useState<Row[]>([]);
  const [listState, setListState] = useState<'loading' | 'ok' | 'missing' | 'error'>('loading');
  const [listError, setListError] = useState('');
  const [idInput, setIdInput] = useState('');

  const upsert = useCallback((id: string, patch: Partial<Row>) => {
    setRows((rs) => {
      const i = rs.findIndex((r) => r.id === id);
      if (i < 0) return [{ id, w: null, error: null, busy: false, ...patch }, ...rs];
      const next = rs.slice();
      next[i] = { ...next[i]!, ...patch };
      return next;
    });
  }, []);

  useEffect(() => {
    adminGql<{ withdrawals: { edges: { node: Withdrawal }[] } }>(PENDING)
      .then((r) => {
        setListState('ok');
        for (const e of r.withdrawals.edges) upsert(e.node.id, { w: e.node });
      })
      .catch((e: unknown) => {
        if (isRefusal(e)) setListState('missing');
        else {
          setListState('error');
          setListError(errorText(e));
        }
      });
  }, [upsert]);

  const decide = async (id: string, reason: string | null) => {
    upsert(id, { busy: true, error: null });
    try {
      const r =
        reason === null
          ? (await adminGql<{ approveWithdrawal: Decision | DecisionError }>(APPROVE, { id }))
              .approveWithdrawal
          : (await adminGql<{ rejectWithdrawal: Decision | DecisionError }>(REJECT, { id, reason }))
              .rejectWithdrawal;
      if (r.__typename === 'Withdrawal') {
        const w = r as Decision;
        upsert(id, { w, busy: false, error: null });
        note(`${id} ${w.status}${reason ? `: ${reason}` : ''}`);
      } else {
        const err = r as DecisionError;
        upsert(id, { busy: false, error: `${err.message} (${err.code})` });
      }
    } catch (e) {
      upsert(id, { busy: false, error: errorText(e) });
    }
  };

  const add = (e: Event) => {
    e.preventDefault();
    const id = idInput.trim();
    if (!id) return;
    upsert(id, {});
    setIdInput('');
  };

  return (
    <section id="withdrawals" class="panel wide" aria-labelledby="wd-h">
      <h2 id="wd-h">Withdrawals waiting for approval</h2>
      {listState === 'missing' ? (
        <p class="gap" data-testid="withdrawals-gap">
          The API does not list withdrawals to admins yet (<code>withdrawals</code> is merchant-only). Enter
          the id of a withdrawal (<code>pay_…</code>, from the merchant or the <code>payout.*</code> webhook)
          to decide it.
        </p>
      ) : listState === 'error' ? (
        <p class="error">Could not list withdrawals: {listError}</p>
      ) : null}
      <form class="inline" onSubmit={add}>
        <label for="wd-id">Withdrawal id</label>
        <input
          id="wd-id"
          value={idInput}
          placeholder="pay_…"
          onInput={(e) => setIdInput((e.target as HTMLInputElement).value)}
          data-testid="withdrawal-id"
        />
        <button type="submit" disabled={!idInput.trim()}>
          Add
        </button>
      </form>
      {rows.length === 0 ? (
        <p class="muted">
          {listState === 'ok' ? 'Nothing is waiting for approval.' : 'No withdrawal added yet.'}
        </p>
      ) : (
        <ul class="rows">
          {rows.map((r) => (
            <WithdrawalRow key={r.id} row={r} decide={decide} />
          ))}
        </ul>
      )}
    </section>
  );
}

function WithdrawalRow({ row, decide }: { row: Row; decide: (id: string, reason: string | null) => void }) {
  const [rejecting, setRejecting] = useState(false);
  const [reason, setReason] = useState('');
  const w = row.w;
  const status = w?.status ?? 'not loaded';
  const open = !w || w.status === 'pending_approval';
  return (
    <li class="row" data-testid="withdrawal-row" data-id={row.id} data-status={status}>
      <div class="row-head">
        <code>{row.id}</code>
        <span class={`badge s-${status}`} data-testid="withdrawal-status">
          {status.replace('_', ' ')}
        </span>
      </div>
      {w ? (
        <dl class="kv">
          <dt>User</dt>
          <dd>{w.userId}</dd>
          <dt>Amount</dt>
          <dd>
            {w.amount} Stars (fee {w.fee}) → {w.amountUsdt} USDT
          </dd>
          <dt>To</dt>
          <dd>
            <code class="wrap">{w.walletAddress}</code> on {w.network}
          </dd>
          <dt>Created</dt>
          <dd>{formatDateTime(w.createdAt)}</dd>
          {w.txHash ? (
            <>
              <dt>Tx</dt>
              <dd>
                <code class="wrap">{w.txHash}</code>
              </dd>
            </>
          ) : null}
        </dl>
      ) : (
        <p class="muted small">Details appear once decided (the API has no admin read of one withdrawal).</p>
      )}
      {open ? (
        <div class="actions">
          <button
            type="button"
            disabled={row.busy}
            onClick={() => decide(row.id, null)}
            data-testid="approve"
          >
            Approve
          </button>
          {rejecting ? (
            <form
              class="inline"
              onSubmit={(e) => {
                e.preventDefault();
                if (reason.trim()) decide(row.id, reason.trim());
              }}
            >
              <label for={`reason-${row.id}`}>Reason (required)</label>
              <input
                id={`reason-${row.id}`}
                value={reason}
                required
                maxLength={500}
                onInput={(e) => setReason((e.target as HTMLInputElement).value)}
                data-testid="reject-reason"
              />
              <button
                type="submit"
                class="danger"
                disabled={row.busy || !reason.trim()}
                data-testid="confirm-reject"
              >
                Reject and refund
              </button>
            </form>
          ) : (
            <button
              type="button"
              class="danger"
              disabled={row.busy}
              onClick={() => setRejecting(true)}
              data-testid="reject"
            >
              Reject…
            </button>
          )}
        </div>
      ) : null}
      {row.error ? (
        <p class="error" role="alert">
          {row.error}
        </p>
      ) : null}
      {w && w.audit.length > 0 ? (
        <div class="audit">
          <h3>Audit trail</h3>
          <ol data-testid="audit">
            {w.audit.map((a) => (
              <li key={`${a.action}-${a.at}`}>
                <strong>{a.action}</strong> by {a.actor}, {formatDateTime(a.at)}
                {a.reason ? <>: “{a.reason}”</> : null}
                {a.action === 'rejected' ? ' (the held Stars were refunded to the user)' : null}
              </li>
            ))}
          </ol>
        </div>
      ) : null}
    </li>
  );
}

// ---- Deposits -------------------------------------------------------------------------------------------

interface DepositRow {
  id: string;
  userId: string;
  network: string;
  currency: string;
  amount: string;
  amountReceived: string;
  status: string;
  flags: string[];
  createdAt: string;
}

function Deposits() {
  const [state, setState] = useState<
    | { kind: 'loading' }
    | { kind: 'missing' }
    | { kind: 'error'; text: string }
    | { kind: 'ok'; rows: DepositRow[] }
  >({
    kind: 'loading',
  });
  useEffect(() => {
    adminGql<{ deposits: { edges: { node: DepositRow }[] } }>(DEPOSITS)
      .then((r) => setState({ kind: 'ok', rows: r.deposits.edges.map((e) => e.node) }))
      .catch((e: unknown) =>
        setState(isRefusal(e) ? { kind: 'missing' } : { kind: 'error', text: errorText(e) }),
      );
  }, []);
  return (
    <section id="deposits" class="panel" aria-labelledby="dep-h">
      <h2 id="dep-h">Recent deposits and unexpected funds</h2>
      {state.kind === 'loading' ? <p class="muted">Loading…</p> : null}
      {state.kind === 'missing' ? (
        <p class="gap" data-testid="deposits-gap">
          The API does not list deposits to admins yet (<code>deposits</code> is merchant-only), and has no
          GraphQL field for unexpected funds. Until it does, use <code>GET /api/v1/deposit/:id</code> with the
          merchant's key.
        </p>
      ) : null}
      {state.kind === 'error' ? <p class="error">Could not list deposits: {state.text}</p> : null}
      {state.kind === 'ok' ? (
        <table>
          <thead>
            <tr>
              <th>Deposit</th>
              <th>User</th>
              <th>Amount</th>
              <th>Status</th>
            </tr>
          </thead>
          <tbody>
            {state.rows.map((d) => (
              <tr key={d.id}>
                <td>
                  <code>{d.id}</code>
                </td>
                <td>{d.userId}</td>
                <td>
                  {d.amountReceived}/{d.amount} {d.currency} ({d.network})
                </td>
                <td>
                  {d.status}
                  {d.flags.length ? ` (${d.flags.join(', ')})` : ''}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}

// ---- Ops: webhooks, scanners, queues --------------------------------------------------------------------

function diffOps(prev: Ops | null, next: Ops): string[] {
  if (!prev) return ['Connected: watching queues, scanners and webhooks.'];
  const out: string[] = [];
  for (const q of next.queues) {
    const p = prev.queues.find((x) => x.name === q.name);
    if (!q.counts || !p?.counts) continue;
    const done = q.counts.completed - p.counts.completed;
    const failed = q.counts.failed - p.counts.failed;
    if (done > 0) out.push(`${q.name}: ${done} job${done === 1 ? '' : 's'} completed`);
    if (failed > 0) out.push(`${q.name}: ${failed} job${failed === 1 ? '' : 's'} failed`);
  }
  for (const s of next.scanners) {
    const p = prev.scanners.find((x) => x.chain === s.chain);
    if (p && s.headBlock !== null && p.headBlock !== null && s.headBlock > p.headBlock) {
      out.push(
        `${s.chain}: head ${s.headBlock} (+${s.headBlock - p.headBlock}), lag ${s.lagBlocks ?? '?'} blocks`,
      );
    }
  }
  for (const b of next.webhookBacklog) {
    const p = prev.webhookBacklog.find((x) => x.endpointId === b.endpointId);
    if (b.failingSince && !p?.failingSince) out.push(`webhook ${b.url} is failing`);
  }
  for (const p of prev.webhookBacklog) {
    if (!next.webhookBacklog.some((b) => b.endpointId === p.endpointId))
      out.push(`webhook ${p.url} caught up`);
  }
  return out;
}

function OpsPanels({ pollMs, note }: { pollMs: number; note: (t: string) => void }) {
  const [ops, setOps] = useState<Ops | null>(null);
  const [error, setError] = useState<string | null>(null);
  const last = useRef<Ops | null>(null);

  const refresh = useCallback(async () => {
    try {
      const r = await adminGql<{ ops: Ops }>(OPS);
      for (const line of diffOps(last.current, r.ops)) note(line);
      last.current = r.ops;
      setOps(r.ops);
      setError(null);
    } catch (e) {
      setError(errorText(e));
    }
  }, [note]);

  useEffect(() => {
    void refresh();
    const t = setInterval(() => void refresh(), pollMs);
    return () => clearInterval(t);
  }, [refresh, pollMs]);

  const retry = async (queue: string, jobId: string | null) => {
    try {
      if (jobId) {
        const r = await adminGql<{ retryJob: boolean }>(RETRY_JOB, { queue, jobId });
        note(
          r.retryJob ? `${queue}: job ${jobId} sent again` : `${queue}: job ${jobId} was not failed any more`,
        );
      } else {
        const r = await adminGql<{ retryAllFailed: number }>(RETRY_ALL, { queue });
        note(`${queue}: ${r.retryAllFailed} failed job(s) sent again`);
      }
      await refresh();
    } catch (e) {
      note(`retry failed: ${errorText(e)}`);
    }
  };

  const webhooksQueue = ops?.queues.find((q) => q.name === 'webhooks');
  return (
    <>
      <section id="webhooks" class="panel" aria-labelledby="wh-h">
        <h2 id="wh-h">Webhook endpoints with a backlog</h2>
        {error ? <p class="error">ops: {error}</p> : null}
        {!ops ? (
          <p class="muted">Loading…</p>
        ) : ops.webhookBacklog.length === 0 ? (
          <p class="muted" data-testid="backlog-empty">
            No endpoint has undelivered events.
          </p>
        ) : (
          <table data-testid="backlog">
            <thead>
              <tr>
                <th>Endpoint</th>
                <th>Merchant</th>
                <th>State</th>
                <th>Pending (due)</th>
                <th>Oldest</th>
              </tr>
            </thead>
            <tbody>
              {ops.webhookBacklog.map((b) => (
                <tr key={b.endpointId}>
                  <td>
                    <code class="wrap">{b.url}</code>
                  </td>
                  <td>
                    {b.merchantId} ({b.mode})
                  </td>
                  <td>
                    {b.status}
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
        )}
        <h3>Failed deliveries</h3>
        {webhooksQueue && webhooksQueue.failedJobs.length > 0 ? (
          <>
            <ul class="jobs">
              {webhooksQueue.failedJobs.map((j) => (
                <li key={j.id}>
                  <code class="wrap">{j.id}</code>: {j.failedReason || 'failed'} after {j.attemptsMade}{' '}
                  attempt(s)
                  {j.failedAt ? `, ${formatDateTime(j.failedAt)}` : ''}{' '}
                  <button type="button" class="small-btn" onClick={() => void retry('webhooks', j.id)}>
                    Redeliver
                  </button>
                </li>
              ))}
            </ul>
            <button type="button" onClick={() => void retry('webhooks', null)}>
              Redeliver all failed
            </button>
          </>
        ) : (
          <p class="muted">No failed delivery job.</p>
        )}
        <p class="muted small">
          Redeliver sends a failed delivery job again. Redelivering one event by id (
          <code>redeliverEvent</code>) and the delivery log are merchant-only in the API.
        </p>
      </section>

      <section id="chains" class="panel" aria-labelledby="ch-h">
        <h2 id="ch-h">Chain scanners and queues</h2>
        {ops ? (
          <>
            <table data-testid="scanners">
              <thead>
                <tr>
                  <th>Chain</th>
                  <th>Head</th>
                  <th>Next block</th>
                  <th>Lag</th>
                </tr>
              </thead>
              <tbody>
                {ops.scanners.length === 0 ? (
                  <tr>
                    <td colSpan={4} class="muted">
                      No scanner has run yet.
                    </td>
                  </tr>
                ) : (
                  ops.scanners.map((s) => (
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
            <table data-testid="queues">
              <thead>
                <tr>
                  <th>Queue</th>
                  <th>Waiting</th>
                  <th>Active</th>
                  <th>Delayed</th>
                  <th>Failed</th>
                  <th>Done</th>
                </tr>
              </thead>
              <tbody>
                {ops.queues.map((q) => (
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
            <p>
              <a href="/admin/queues" target="_blank" rel="noopener">
                Open the queue dashboard (/admin/queues) ↗
              </a>
            </p>
          </>
        ) : (
          <p class="muted">Loading…</p>
        )}
      </section>
    </>
  );
}

function Feed({ feed, pollMs }: { feed: FeedItem[]; pollMs: number }) {
  return (
    <section id="feed" class="panel" aria-labelledby="feed-h">
      <h2 id="feed-h">Live feed</h2>
      <p class="muted small">
        Polled from <code>ops</code> every {Math.round(pollMs / 100) / 10} s, with this portal's own
        decisions: the API has no event subscription for admins.
      </p>
      <ol class="feed" data-testid="feed" aria-live="polite">
        {feed.map((f, i) => (
          <li key={`${f.at}-${i}`}>
            <time dateTime={f.at}>{new Date(f.at).toLocaleTimeString()}</time> {f.text}
          </li>
        ))}
      </ol>
    </section>
  );
}

const root = document.getElementById('app');
if (root) render(<App />, root);
