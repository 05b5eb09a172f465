import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { errorText } from './api';
import type { Withdrawal } from './documents';
import { isRefusal, useInterval } from './hooks';
import type { Note } from './types';
import {
  decideWithdrawal,
  findWithdrawal,
  isMoving,
  type ListFilter,
  listWithdrawals,
  notOlder,
  readWithdrawals,
} from './withdrawals-api';

// The withdrawals panel's state: the rows of the admin list (reloaded every poll), plus the rows decided or
// looked up here ("pinned": they stay when they leave the filtered list). Approved and processing rows are
// read again every FOLLOW_MS until they are final, so an approved row reaches completed without a reload.

export interface Row {
  id: string;
  w: Withdrawal | null;
  error: string | null;
  busy: boolean;
}

export type ListState =
  | { kind: 'loading' }
  | { kind: 'ok'; total: number }
  | { kind: 'refused'; text: string }
  | { kind: 'error'; text: string };

export const FOLLOW_MS = 2000;

function upsertRow(rows: Row[], id: string, patch: Partial<Row>): Row[] {
  const i = rows.findIndex((r) => r.id === id);
  if (i < 0) return [{ id, w: null, error: null, busy: false, ...patch }, ...rows];
  const next = rows.slice();
  next[i] = { ...next[i]!, ...patch };
  return next;
}

/** Rows already shown keep their place; new ones from the list come first; unpinned rows it lacks go. */
function mergeList(rows: Row[], nodes: Withdrawal[], pinned: Set<string>): Row[] {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const shown = new Set(rows.map((r) => r.id));
  const fresh = nodes
    .filter((n) => !shown.has(n.id))
    .map((n) => ({ id: n.id, w: n, error: null, busy: false }));
  const kept = rows
    .filter((r) => byId.has(r.id) || pinned.has(r.id))
    .map((r) => {
      const n = byId.get(r.id);
      return n && !r.busy && notOlder(r.w, n) ? { ...r, w: n } : r;
    });
  return [...fresh, ...kept];
}

function changeText(prev: Withdrawal | null, w: Withdrawal): string | null {
  if (prev && prev.status === w.status && prev.payoutState === w.payoutState) return null;
  const step = w.payoutState && w.payoutState !== w.status ? ` (${w.payoutState})` : '';
  return `${w.id} ${w.status.toLowerCase().replace('_', ' ')}${step.toLowerCase()}`;
}

interface RowsState {
  rows: Row[];
  rowsRef: { current: Row[] };
  setRows: (f: (rs: Row[]) => Row[]) => void;
  upsert: (id: string, patch: Partial<Row>) => void;
  pinned: { current: Set<string> };
}

function useRows(): RowsState {
  const [rows, setRows] = useState<Row[]>([]);
  const rowsRef = useRef(rows);
  rowsRef.current = rows;
  const pinned = useRef(new Set<string>());
  const upsert = useCallback(
    (id: string, patch: Partial<Row>) => setRows((rs) => upsertRow(rs, id, patch)),
    [],
  );
  return { rows, rowsRef, setRows, upsert, pinned };
}

/** The filtered list: read when the filter changes and every `pollMs`, merged into the rows. */
function useList(s: RowsState, filter: ListFilter, pollMs: number, tick: number): ListState {
  const [list, setList] = useState<ListState>({ kind: 'loading' });
  const filterKey = JSON.stringify(filter);
  const filterRef = useRef(filterKey);
  filterRef.current = filterKey;
  const { setRows, pinned } = s;

  const load = useCallback(async () => {
    const key = filterRef.current;
    try {
      const r = await listWithdrawals(JSON.parse(key) as ListFilter);
      if (key !== filterRef.current) return; // the filter changed meanwhile
      setList({ kind: 'ok', total: r.total });
      setRows((rs) => mergeList(rs, r.nodes, pinned.current));
    } catch (e) {
      if (key === filterRef.current)
        setList({ kind: isRefusal(e) ? 'refused' : 'error', text: errorText(e) });
    }
  }, [setRows, pinned]);

  useEffect(() => {
    setList({ kind: 'loading' });
    setRows((rs) => rs.filter((r) => pinned.current.has(r.id)));
    void load();
  }, [filterKey, load, setRows, pinned]);
  useInterval(load, pollMs);
  // A withdrawal event came over the live feed: read now rather than at the next poll.
  useEffect(() => {
    if (tick > 0) void load();
  }, [tick, load]);
  return list;
}

/** Reads approved and processing rows again every FOLLOW_MS; the error of the last read, if it failed. */
function useFollow(s: RowsState, note: Note, tick: number): string | null {
  const [error, setError] = useState<string | null>(null);
  const { rowsRef, setRows } = s;
  const follow = useCallback(async () => {
    const ids = rowsRef.current.filter((r) => isMoving(r.w) && !r.busy).map((r) => r.id);
    if (ids.length === 0) return;
    try {
      const got = await readWithdrawals(ids);
      setError(null);
      for (const [id, w] of got) {
        const prev = rowsRef.current.find((r) => r.id === id)?.w ?? null;
        if (!w || !notOlder(prev, w)) continue;
        const text = changeText(prev, w);
        if (text) note(text);
        setRows((rs) => upsertRow(rs, id, { w }));
      }
    } catch (e) {
      setError(errorText(e)); // the next tick tries again
    }
  }, [rowsRef, setRows, note]);
  useInterval(follow, FOLLOW_MS);
  useEffect(() => {
    if (tick > 0) void follow();
  }, [tick, follow]);
  return error;
}

/** Approve (reason null) or reject; the row is pinned so it stays and is followed. */
function useDecide(s: RowsState, note: Note) {
  const { upsert, pinned } = s;
  return useCallback(
    async (id: string, reason: string | null) => {
      pinned.current.add(id);
      upsert(id, { busy: true, error: null });
      try {
        const r = await decideWithdrawal(id, reason);
        if ('w' in r) {
          upsert(id, { w: r.w, busy: false, error: null });
          note(`${id} ${r.w.status.toLowerCase()}${reason ? `: ${reason}` : ''}`);
        } else upsert(id, { busy: false, error: r.error });
      } catch (e) {
        upsert(id, { busy: false, error: errorText(e) });
      }
    },
    [upsert, pinned, note],
  );
}

/** Shows one withdrawal by id (pinned); resolves to an error text when it cannot. */
function useFind(s: RowsState) {
  const { upsert, pinned } = s;
  return useCallback(
    async (id: string): Promise<string | null> => {
      try {
        const w = await findWithdrawal(id);
        if (!w) return `There is no withdrawal ${id}.`;
        pinned.current.add(id);
        upsert(id, { w });
        return null;
      } catch (e) {
        return errorText(e);
      }
    },
    [upsert, pinned],
  );
}

/** `tick` changes on every withdrawal event of the live feed: the list and the followed rows are read then too. */
export function useWithdrawals(filter: ListFilter, listPollMs: number, note: Note, tick = 0) {
  const s = useRows();
  const list = useList(s, filter, listPollMs, tick);
  const followError = useFollow(s, note, tick);
  return { rows: s.rows, list, followError, decide: useDecide(s, note), find: useFind(s) };
}
