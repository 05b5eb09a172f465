import { formatDuration } from '../lib/time';
import { adminGql } from './api';
import { Panel } from './components';
import { PortalStuck } from './console-documents';
import type { Ops } from './documents';
import { useLoaded } from './hooks';

// "What is stuck, and since when?" on one screen: from the live health (webhook backlog, failed jobs, the
// oldest waiting job, scanner lag, hot-wallet alerts) and one read of what waits on people or funds (payouts
// waiting for the hot wallet, withdrawals waiting for approval, deposits confirming, unexpected funds), read
// again with each health message and on every deposit or withdrawal event. Each line links to the panel that acts on it.

interface Line {
  text: string;
  href: string;
}

function healthLines(ops: Ops): Line[] {
  const out: Line[] = [];
  for (const b of ops.webhookBacklog) {
    const since = b.failingSince ? `, failing since ${new Date(b.failingSince).toLocaleString()}` : '';
    out.push({
      text: `Webhook ${b.url} (${b.merchantId}): ${b.pending} pending, oldest ${formatDuration(b.oldestPendingAgeSeconds)}${since}`,
      href: '#endpoints',
    });
  }
  for (const q of ops.queues) {
    if (q.counts?.failed)
      out.push({ text: `Queue ${q.name}: ${q.counts.failed} failed job(s)`, href: '#webhooks' });
    if (q.oldestWaitingAgeSeconds && q.oldestWaitingAgeSeconds > 60)
      out.push({
        text: `Queue ${q.name}: oldest job waiting ${formatDuration(q.oldestWaitingAgeSeconds)}`,
        href: '#chains',
      });
    if (q.error) out.push({ text: `Queue ${q.name} unreadable: ${q.error}`, href: '#chains' });
  }
  for (const s of ops.scanners) {
    if ((s.lagSeconds ?? 0) > 120 || (s.lagBlocks ?? 0) > 200)
      out.push({
        text: `Scanner ${s.chain}: ${s.lagBlocks ?? '?'} blocks behind, head read ${formatDuration(s.lagSeconds ?? 0)} ago`,
        href: '#chains',
      });
  }
  for (const w of ops.hotWallets) {
    if (w.alert) out.push({ text: `Hot wallet ${w.walletKey}: ${w.alert}`, href: '#withdrawals' });
  }
  return out;
}

export function Stuck({ ops, tick }: { ops: Ops | null; tick: number }) {
  // Read again with every health message (every 5 s) and on every deposit or withdrawal event.
  const { value, error } = useLoaded(() => adminGql(PortalStuck, {}), [tick, ops?.at]);
  const lines: Line[] = ops ? healthLines(ops) : [];
  if (value) {
    for (const { node: w } of value.approved.edges) {
      if (w.waitingReason)
        lines.push({
          text: `Payout ${w.id} (${w.merchantId}, ${w.amount} Stars on ${w.network}) waits: ${w.waitingReason}`,
          href: '#withdrawals',
        });
    }
    const counts: [number, string, string][] = [
      [value.awaitingApproval.totalCount, 'withdrawal(s) wait for an approval', '#withdrawals'],
      [value.confirming.totalCount, 'deposit(s) are confirming on chain', '#deposits'],
      [value.unexpected.totalCount, 'unexpected payment(s) wait for a decision', '#unexpected'],
    ];
    for (const [n, what, href] of counts) if (n > 0) lines.push({ text: `${n} ${what}`, href });
  }
  return (
    <Panel id="stuck" title="What is stuck" wide>
      {error ? <p class="error">{error}</p> : null}
      {!ops && !value ? <p class="muted">Loading…</p> : null}
      {(ops || value) && lines.length === 0 ? (
        <p class="muted" data-testid="stuck-none">
          Nothing is stuck: no backlog, no failed job, no lagging scanner, nothing waiting on funds or people.
        </p>
      ) : (
        <ul class="jobs" data-testid="stuck">
          {lines.map((l) => (
            <li key={l.text}>
              <a href={l.href}>{l.text}</a>
            </li>
          ))}
        </ul>
      )}
    </Panel>
  );
}
