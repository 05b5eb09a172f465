import { useEffect, useState } from 'preact/hooks';
import { adminGql, errorText } from './api';
import { Loading, Panel, TableHead } from './components';
import { type DepositRow, PortalDeposits } from './documents';
import { isRefusal } from './hooks';

// Recent deposits and unexpected funds. The API does not list deposits to admins (and has no GraphQL field for
// unexpected funds); the portal asks anyway and explains the refusal, so the list appears once it does.

type State =
  | { kind: 'loading' }
  | { kind: 'missing' }
  | { kind: 'error'; text: string }
  | { kind: 'ok'; rows: DepositRow[] };

export function Deposits() {
  const [state, setState] = useState<State>({ kind: 'loading' });
  useEffect(() => {
    adminGql(PortalDeposits, {})
      .then((r) => setState({ kind: 'ok', rows: r.deposits.edges.map((e) => e.node) }))
      .catch((e: unknown) =>
        setState(isRefusal(e) ? { kind: 'missing' } : { kind: 'error', text: errorText(e) }),
      );
  }, []);
  return (
    <Panel id="deposits" title="Recent deposits and unexpected funds">
      {state.kind === 'loading' ? <Loading /> : null}
      {state.kind === 'missing' ? (
        <p class="gap" data-testid="deposits-gap">
          The API does not list deposits to admins yet (<code>deposits</code> is merchant-only), and has no
          GraphQL field for unexpected funds. Until it does, use <code>GET /api/v1/deposit/:id</code> with the
          merchant's key.
        </p>
      ) : null}
      {state.kind === 'error' ? <p class="error">Could not list deposits: {state.text}</p> : null}
      {state.kind === 'ok' ? <DepositTable rows={state.rows} /> : null}
    </Panel>
  );
}

function DepositTable({ rows }: { rows: DepositRow[] }) {
  return (
    <table>
      <TableHead columns={['Deposit', 'User', 'Amount', 'Status']} />
      <tbody>
        {rows.map((d) => (
          <tr key={d.id}>
            <td>
              <code>{d.id}</code>
            </td>
            <td>{d.userId}</td>
            <td>
              {d.amountReceived}/{d.amount} {d.currency} ({d.network})
            </td>
            <td>
              {d.status.toLowerCase()}
              {d.flags.length ? ` (${d.flags.map((f) => f.toLowerCase()).join(', ')})` : ''}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
