import type { Client } from 'graphql-ws';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { type ConnectionState, liveClient, subscribe } from '../lib/graphql';
import { adminGql, csrfToken, errorText } from './api';
import { type OpsEvent, PortalOpsEvents, PortalOpsHealth } from './console-documents';
import { type Ops, PortalOps, PortalRetryAll, PortalRetryJob } from './documents';
import { diffOps } from './ops-diff';
import type { Note } from './types';

// The portal's live connection (issue 19): one graphql-ws socket, authenticated with the portal's session
// cookie (sent by the browser with the upgrade) and the CSRF value in connection_init, that carries two
// subscriptions: `opsHealth` (queues, scanners, webhook backlog: the chains and webhooks panels, and what
// changed goes to the feed) and `opsEvents` (every event of every merchant, as the relay publishes it).

export type Retry = (queue: string, jobId: string | null) => Promise<void>;

/** A one-line description of an event for the feed. */
export function describeEvent(e: OpsEvent): string {
  const d = (e.data ?? {}) as Record<string, unknown>;
  const parts = [e.type.toLowerCase().replace(/_/g, '.'), `${e.merchantId} (${e.mode.toLowerCase()})`];
  const id = typeof d.id === 'string' ? d.id : null;
  if (id) parts.push(id);
  if (typeof d.status === 'string') parts.push(d.status);
  if (d.amount !== undefined) parts.push(`amount ${String(d.amount)}`);
  if (typeof d.userId === 'string') parts.push(`user ${d.userId}`);
  if (typeof d.fromUserId === 'string' && typeof d.toUserId === 'string')
    parts.push(`${d.fromUserId} → ${d.toUserId}`);
  return parts.join(' · ');
}

export interface Live {
  ops: Ops | null;
  error: string | null;
  state: ConnectionState;
  /** Bumped on every deposit or withdrawal event: panels listing those read again. */
  moneyTick: number;
  /** Bumped on every withdrawal or payout event: the withdrawals panel reads its rows again. */
  withdrawalTick: number;
  retry: Retry;
  /** Reads `ops` at once, without waiting for the next health message (after an admin action). */
  refresh: () => Promise<void>;
}

export function useLive(note: Note): Live {
  const [ops, setOps] = useState<Ops | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [state, setState] = useState<ConnectionState>('connecting');
  /** Event ids already shown: delivery is at least once. */
  const seen = useRef(new Set<string>());
  const [moneyTick, setMoneyTick] = useState(0);
  const [withdrawalTick, setWithdrawalTick] = useState(0);
  const last = useRef<Ops | null>(null);
  const client = useRef<Client | null>(null);

  const apply = useCallback(
    (next: Ops) => {
      for (const line of diffOps(last.current, next)) note(line);
      last.current = next;
      setOps(next);
      setError(null);
    },
    [note],
  );

  useEffect(() => {
    const c = liveClient(
      '',
      (s, detail) => {
        setState(s);
        if (s === 'refused') setError(`the live connection was refused (${detail ?? 'sign in again'})`);
      },
      { connectionParams: () => ({ portalCsrf: csrfToken() }) },
    );
    client.current = c;
    const stopEvents = subscribe(
      c,
      PortalOpsEvents,
      { filter: null },
      {
        next: (r) => {
          const e = r.data?.opsEvents;
          if (!e) return;
          if (seen.current.has(e.id)) return;
          seen.current.add(e.id);
          if (seen.current.size > 1000) seen.current = new Set([...seen.current].slice(-500));
          note(describeEvent(e));
          if (/^(DEPOSIT|WITHDRAWAL|PAYOUT)_/.test(e.type)) setMoneyTick((n) => n + 1);
          if (/^(WITHDRAWAL|PAYOUT)_/.test(e.type)) setWithdrawalTick((n) => n + 1);
        },
        error: (e) => note(`live events: ${errorText(e)}`),
        complete: () => undefined,
      },
    );
    const stopHealth = subscribe(c, PortalOpsHealth, {} as Record<string, never>, {
      next: (r) => {
        if (r.data) apply(r.data.opsHealth);
      },
      error: (e) => setError(errorText(e)),
      complete: () => undefined,
    });
    return () => {
      stopHealth();
      stopEvents();
      void c.dispose();
    };
  }, [apply, note]);

  /** Reads `ops` once at once (after a retry), without waiting for the next health message. */
  const refresh = useCallback(async () => {
    try {
      apply((await adminGql(PortalOps, {})).ops);
    } catch (e) {
      setError(errorText(e));
    }
  }, [apply]);

  const retry: Retry = useCallback(
    async (queue, jobId) => {
      try {
        if (jobId) {
          const r = await adminGql(PortalRetryJob, { queue, jobId });
          note(
            r.retryJob
              ? `${queue}: job ${jobId} sent again`
              : `${queue}: job ${jobId} was not failed any more`,
          );
        } else {
          const r = await adminGql(PortalRetryAll, { queue });
          note(`${queue}: ${r.retryAllFailed} failed job(s) sent again`);
        }
        await refresh();
      } catch (e) {
        note(`retry failed: ${errorText(e)}`);
      }
    },
    [note, refresh],
  );

  return { ops, error, state, moneyTick, withdrawalTick, retry, refresh };
}
