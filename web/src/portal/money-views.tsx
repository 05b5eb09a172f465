import { useEffect, useState } from 'preact/hooks';
import { formatDateTime } from '../lib/time';
import { adminGql, errorText } from './api';
import { Badge, Fact } from './components';
import {
  type DepositDetail,
  type LedgerTx,
  PortalDeposit,
  PortalLedgerTransaction,
} from './console-documents';

// Where a deposit's or a transaction's money is: a deposit with every payment seen on chain and the ledger
// transaction that credited it, and a ledger transaction with the account the Stars left and the one they
// reached (with both balances right after).

const lower = (s: string) => s.toLowerCase().replace(/_/g, ' ');

/** Reads one object by id with `load`; shows loading, an error, or "not found". */
export function useOne<T>(load: () => Promise<T | null>, deps: unknown[]) {
  const [state, setState] = useState<
    { kind: 'loading' } | { kind: 'error'; text: string } | { kind: 'ok'; value: T | null }
  >({
    kind: 'loading',
  });
  useEffect(() => {
    let live = true;
    setState({ kind: 'loading' });
    load()
      .then((value) => live && setState({ kind: 'ok', value }))
      .catch((e: unknown) => live && setState({ kind: 'error', text: errorText(e) }));
    return () => {
      live = false;
    };
  }, deps);
  return state;
}

export function LedgerTxView({ id }: { id: string }) {
  const s = useOne(async () => (await adminGql(PortalLedgerTransaction, { id })).ledgerTransaction, [id]);
  if (s.kind === 'loading') return <p class="muted">Loading {id}…</p>;
  if (s.kind === 'error') return <p class="error">{s.text}</p>;
  if (!s.value) return <p class="muted">No ledger transaction {id}.</p>;
  return <LedgerTxFacts tx={s.value} />;
}

function LedgerTxFacts({ tx }: { tx: LedgerTx }) {
  const side = (a: LedgerTx['fromAccount']) =>
    `${a.kind === 'user' ? 'user ' : 'book '}${a.code} (balance after ${a.balanceAfter})`;
  return (
    <dl class="kv" data-testid="ledger-tx">
      <Fact label="Transaction">
        <code>{tx.transactionId}</code> ({lower(tx.type)})
      </Fact>
      <Fact label="Merchant">
        {tx.merchantId} ({lower(tx.mode)})
      </Fact>
      <Fact label="Amount">{tx.amount} Stars</Fact>
      <Fact label="From">{side(tx.fromAccount)}</Fact>
      <Fact label="To">{side(tx.toAccount)}</Fact>
      <Fact label="Description">{tx.description}</Fact>
      <Fact label="Metadata">
        {tx.metadata ? <code class="wrap">{JSON.stringify(tx.metadata)}</code> : null}
      </Fact>
      <Fact label="Posted">{formatDateTime(tx.createdAt)}</Fact>
    </dl>
  );
}

export function DepositView({ id }: { id: string }) {
  const s = useOne(async () => (await adminGql(PortalDeposit, { id })).deposit, [id]);
  const [tx, setTx] = useState<string | null>(null);
  if (s.kind === 'loading') return <p class="muted">Loading {id}…</p>;
  if (s.kind === 'error') return <p class="error">{s.text}</p>;
  if (!s.value) return <p class="muted">No deposit {id}.</p>;
  const d: DepositDetail = s.value;
  return (
    <div data-testid="deposit-detail">
      <dl class="kv">
        <Fact label="Deposit">
          <code>{d.id}</code> <Badge status={d.status.toLowerCase()} />
          {d.flags.length ? ` ${d.flags.map(lower).join(', ')}` : ''}
        </Fact>
        <Fact label="Merchant">
          {d.merchantId} ({lower(d.mode)}), user {d.userId}
        </Fact>
        <Fact label="Asked / received">
          {d.amount} / {d.amountReceived} {d.currency} on {d.network}
        </Fact>
        <Fact label="Credited">{d.credited} Stars</Fact>
        <Fact label="Address">
          <code class="wrap">{d.depositAddress}</code>
        </Fact>
        <Fact label="Confirmations">
          {d.confirmations} of {d.requiredConfirmations}
        </Fact>
        <Fact label="Failure">{d.failureReason}</Fact>
        <Fact label="Created / expires">
          {formatDateTime(d.createdAt)} / {formatDateTime(d.expiresAt)}
        </Fact>
      </dl>
      <h3>Payments on chain</h3>
      {d.payments.length === 0 ? (
        <p class="muted">No payment seen on chain yet.</p>
      ) : (
        <ul class="jobs" data-testid="deposit-payments">
          {d.payments.map((p) => (
            <li key={`${p.txHash}:${p.logIndex}`}>
              <code class="wrap">{p.txHash}</code> block {p.blockNumber}: {p.amount} {d.currency} from{' '}
              <code class="wrap">{p.fromAddress}</code>, <Badge status={p.status.toLowerCase()} />
              {p.transactionId ? (
                <>
                  {' '}
                  → {p.creditedStars} Stars in{' '}
                  <button
                    type="button"
                    class="small-btn"
                    onClick={() => setTx(p.transactionId)}
                    data-testid="open-ledger-tx"
                  >
                    {p.transactionId}
                  </button>
                </>
              ) : null}
            </li>
          ))}
        </ul>
      )}
      {tx ? <LedgerTxView id={tx} /> : null}
    </div>
  );
}
