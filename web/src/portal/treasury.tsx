import { Badge, Loading, Panel, TableHead } from './components';
import type { Ops, TreasuryRow } from './documents';
import { NetworkControls } from './treasury-controls';
import type { Note } from './types';

// The treasury per network and mode (docs/treasury.md), from `ops.treasury`, pushed with the rest of `ops`:
// custody by the house books (token on deposit addresses, hot and cold; the chain's coin in the hot wallet and,
// on TRON with energy delegation, what the staking account owns),
// sweeps open and failed in the last day, fees of the last day, the last reconciliation and whether ops paused
// its sweeping. Amounts are base units (token units, wei, sun), as the books keep them. Under the table, each
// network's controls: sweep now, pause or resume, sweep one address (treasury-controls.tsx).

const custodyOf = (r: TreasuryRow, asset: string, place: string) =>
  r.custody.find((c) => c.asset === asset && c.place === place)?.balanceBaseUnits ?? '0';

export function Treasury(props: { ops: Ops | null; note: Note; refresh: () => Promise<void> }) {
  const { ops, note, refresh } = props;
  return (
    <Panel id="treasury" title="Treasury" wide>
      {ops ? (
        <>
          <TreasuryTable rows={ops.treasury} />
          {ops.treasury.length > 0 ? (
            <>
              <h3>Sweeping controls</h3>
              <ul class="rows" data-testid="treasury-controls">
                {ops.treasury.map((r) => (
                  <NetworkControls key={`${r.network}:${r.mode}`} row={r} note={note} refresh={refresh} />
                ))}
              </ul>
            </>
          ) : null}
        </>
      ) : (
        <Loading />
      )}
    </Panel>
  );
}

function TreasuryTable({ rows }: { rows: TreasuryRow[] }) {
  return (
    <table data-testid="treasury">
      <TableHead
        columns={[
          'Network',
          'Sweeping',
          'Token on deposits',
          'Token hot',
          'Token cold',
          'Coin hot',
          'Coin staking',
          'Sweeps open / failed 24 h',
          'Fees 24 h',
          'Books vs chain',
        ]}
      />
      <tbody>
        {rows.length === 0 ? (
          <tr>
            <td colSpan={10} class="muted">
              No treasury books yet.
            </td>
          </tr>
        ) : (
          rows.map((r) => (
            <tr key={`${r.network}:${r.mode}`} data-testid={`treasury-${r.network}-${r.mode}`}>
              <td>
                {r.network} {r.mode.toLowerCase()}
              </td>
              <td>{r.paused ? `paused by ${r.pausedBy ?? '?'}` : 'on'}</td>
              <td>{custodyOf(r, 'token', 'deposits')}</td>
              <td>{custodyOf(r, 'token', 'hot')}</td>
              <td>{custodyOf(r, 'token', 'cold')}</td>
              <td>{custodyOf(r, 'native', 'hot')}</td>
              <td>{custodyOf(r, 'native', 'staking')}</td>
              <td>
                {r.sweepsOpen} / {r.sweepsFailed24h}
              </td>
              <td>{r.fees24hBaseUnits}</td>
              <td>
                {r.reconciliation ? (
                  <span title={r.reconciliation.alert ?? undefined}>
                    <Badge status={r.reconciliation.status.toLowerCase()} />
                  </span>
                ) : (
                  <span class="muted">not yet compared</span>
                )}
              </td>
            </tr>
          ))
        )}
      </tbody>
    </table>
  );
}
