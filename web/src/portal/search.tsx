import { useState } from 'preact/hooks';
import { formatDateTime } from '../lib/time';
import { adminGql, errorText } from './api';
import { Badge, Fact, Panel } from './components';
import { PortalEvent, PortalSearch, PortalUnexpectedFund, type SearchHit } from './console-documents';
import { PortalFind } from './documents';
import { DeliveryLog } from './endpoints';
import { DepositView, LedgerTxView, useOne } from './money-views';
import type { Note } from './types';
import { FundRow } from './unexpected';

// "Where is this customer's money?": one box for any id a customer might quote (deposit, withdrawal,
// transaction, event, endpoint or merchant id, a transaction hash, an address), across merchants. A single hit
// opens at once; the detail shows where the money is: a deposit's payments and the ledger transaction that
// credited each, a transaction's two accounts, a payout's step, an unexpected payment's decision.

export interface Opened {
  kind: string;
  id: string;
}

export function Search({
  opened,
  open,
  note,
}: {
  opened: Opened | null;
  open: (kind: string, id: string) => void;
  note: Note;
}) {
  const [query, setQuery] = useState('');
  const [hits, setHits] = useState<SearchHit[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const run = async () => {
    setError(null);
    try {
      const r = await adminGql(PortalSearch, { query });
      setHits(r.opsSearch);
      if (r.opsSearch.length === 1) open(r.opsSearch[0]!.kind, r.opsSearch[0]!.objectId);
    } catch (e) {
      setHits(null);
      setError(errorText(e));
    }
  };
  return (
    <Panel id="search" title="Find the money" wide>
      <form
        class="inline"
        onSubmit={(e) => {
          e.preventDefault();
          void run();
        }}
      >
        <input
          aria-label="Id, transaction hash or address"
          placeholder="dep_…, pay_…, tx_…, evt_…, whe_…, mer_…, a tx hash or an address"
          value={query}
          class="grow"
          data-testid="search-input"
          onInput={(e) => setQuery((e.target as HTMLInputElement).value)}
        />
        <button type="submit" disabled={!query.trim()} data-testid="search-go">
          Search
        </button>
      </form>
      {error ? (
        <p class="error" data-testid="search-error">
          {error}
        </p>
      ) : null}
      {hits && hits.length === 0 ? (
        <p class="muted" data-testid="search-none">
          Nothing has this id, hash or address.
        </p>
      ) : null}
      {hits && hits.length > 0 ? (
        <ul class="jobs" data-testid="search-hits">
          {hits.map((h) => (
            <li key={`${h.kind}:${h.objectId}:${h.matched}`} data-testid="search-hit">
              <button type="button" class="small-btn" onClick={() => open(h.kind, h.objectId)}>
                {h.kind.toLowerCase().replace(/_/g, ' ')} {h.objectId}
              </button>{' '}
              {h.summary} · {h.merchantId ?? ''} {h.mode ? `(${h.mode.toLowerCase()})` : ''} · matched{' '}
              {h.matched} · {formatDateTime(h.createdAt)}
            </li>
          ))}
        </ul>
      ) : null}
      {opened ? <Detail opened={opened} note={note} /> : null}
    </Panel>
  );
}

function Detail({ opened, note }: { opened: Opened; note: Note }) {
  const body = (() => {
    switch (opened.kind) {
      case 'DEPOSIT':
        return <DepositView id={opened.id} />;
      case 'TRANSACTION':
        return <LedgerTxView id={opened.id} />;
      case 'WITHDRAWAL':
        return <WithdrawalView id={opened.id} />;
      case 'UNEXPECTED_FUND':
        return <FundView id={opened.id} note={note} />;
      case 'EVENT':
        return <EventView id={opened.id} note={note} />;
      case 'WEBHOOK_ENDPOINT':
        return <DeliveryLog filter={{ endpointId: opened.id }} note={note} />;
      default:
        return (
          <p class="muted">Merchant {opened.id}: filter the deposits and withdrawals below by this id.</p>
        );
    }
  })();
  return (
    <div class="detail" data-testid="detail" data-kind={opened.kind}>
      <h3>
        {opened.kind.toLowerCase().replace(/_/g, ' ')} <code>{opened.id}</code>
      </h3>
      {body}
    </div>
  );
}

function WithdrawalView({ id }: { id: string }) {
  const s = useOne(async () => (await adminGql(PortalFind, { id })).withdrawal, [id]);
  if (s.kind === 'loading') return <p class="muted">Loading…</p>;
  if (s.kind === 'error') return <p class="error">{s.text}</p>;
  const w = s.value;
  if (!w) return <p class="muted">No withdrawal {id}.</p>;
  return (
    <dl class="kv" data-testid="withdrawal-detail">
      <Fact label="Status">
        <Badge status={w.status.toLowerCase()} />{' '}
        {w.payoutState ? `payout ${w.payoutState.toLowerCase()}` : ''}
        {w.confirmations ? `, ${w.confirmations} confirmations` : ''}
      </Fact>
      <Fact label="Merchant">
        {w.merchantId} ({w.mode?.toLowerCase()}), user {w.userId}
      </Fact>
      <Fact label="Amount">
        {w.amount} Stars (fee {w.fee}) → {w.amountUsdt} USDT on {w.network}
      </Fact>
      <Fact label="Wallet">
        <code class="wrap">{w.walletAddress}</code>
      </Fact>
      <Fact label="Waiting because">{w.waitingReason}</Fact>
      <Fact label="Failure">{w.failureReason}</Fact>
      <Fact label="Transaction">{w.txHash ? <code class="wrap">{w.txHash}</code> : null}</Fact>
      <Fact label="Audit">
        {w.audit.map((a) => `${a.action} by ${a.actor}${a.reason ? ` (${a.reason})` : ''}`).join('; ')}
      </Fact>
    </dl>
  );
}

function FundView({ id, note }: { id: string; note: Note }) {
  const s = useOne(async () => (await adminGql(PortalUnexpectedFund, { id })).unexpectedFund, [id]);
  if (s.kind === 'loading') return <p class="muted">Loading…</p>;
  if (s.kind === 'error') return <p class="error">{s.text}</p>;
  if (!s.value) return <p class="muted">No unexpected payment {id}.</p>;
  return (
    <ul class="rows">
      <FundRow fund={s.value} note={note} />
    </ul>
  );
}

function EventView({ id, note }: { id: string; note: Note }) {
  const s = useOne(async () => (await adminGql(PortalEvent, { id })).node, [id]);
  if (s.kind === 'loading') return <p class="muted">Loading…</p>;
  if (s.kind === 'error') return <p class="error">{s.text}</p>;
  const e = s.value;
  if (e?.__typename !== 'Event') return <p class="muted">No event {id}.</p>;
  return (
    <>
      <dl class="kv">
        <Fact label="Type">{e.type.toLowerCase()}</Fact>
        <Fact label="Merchant">
          {e.merchantId} ({e.mode.toLowerCase()})
        </Fact>
        <Fact label="When">{formatDateTime(e.createdAt)}</Fact>
        <Fact label="Data">
          <code class="wrap">{JSON.stringify(e.data)}</code>
        </Fact>
      </dl>
      <DeliveryLog filter={{ eventId: e.id }} note={note} />
    </>
  );
}
