import type { Socket } from 'node:net';
import { errorBody } from '../lib/errors.js';
import { newId } from '../lib/ids.js';
import { graphqlErrors } from './graphql-errors.js';

// How many WebSockets one client address may hold in one API process (the counts are per process, not
// shared): WS_MAX_PENDING_PER_ADDRESS not yet acknowledged (no connection_init accepted yet: a socket
// that never sends one lives graphql-ws's 3 s), and WS_MAX_SOCKETS_PER_ADDRESS in all. An address counts as the
// rate budgets count it (client-address.ts budgetAddress: an IPv6 /64 is one address), behind TRUST_PROXY as
// every door reads it. A place is taken when the upgrade request arrives, before the handshake, and given back
// when the TCP socket closes, whatever closed it (the client, a refusal, an error, a terminate, a handshake ws
// aborted): that one event fires exactly once per socket, so the counts cannot drift. Over a cap the upgrade
// is answered with a plain HTTP 429 `rate_limited` (GraphQL's error shape, as every /graphql refusal) and
// Retry-After; no WebSocket is made.

export interface AddressCapLimits {
  /** Sockets of one address not yet acknowledged. */
  maxPending: number;
  /** Sockets of one address in all. */
  maxOpen: number;
}

export type CapRefusal = 'pending' | 'open';

/** One socket's place under the caps. Both methods may be called any number of times, in any order. */
export interface AddressPlace {
  /** Its connection_init was accepted: it no longer counts as waiting. */
  acknowledged(): void;
  /** It closed: its place is free. */
  release(): void;
}

/** Seconds a refused client should wait: a waiting socket is acknowledged or closed within 3 s. */
const RETRY_AFTER_PENDING_S = 3;
/** Open sockets stay until their viewers leave: a while. */
const RETRY_AFTER_OPEN_S = 30;

export class AddressSockets {
  private readonly byAddress = new Map<string, { open: number; pending: number }>();
  /** Upgrades refused, by which cap (metrics and tests). */
  readonly refused = { pending: 0, open: 0 };

  constructor(private readonly limits: AddressCapLimits) {}

  /** A place for a new socket from `address` (a budgetAddress), or which cap is full. */
  take(address: string): AddressPlace | CapRefusal {
    const counts = this.byAddress.get(address) ?? { open: 0, pending: 0 };
    if (counts.open >= this.limits.maxOpen) {
      this.refused.open++;
      return 'open';
    }
    if (counts.pending >= this.limits.maxPending) {
      this.refused.pending++;
      return 'pending';
    }
    counts.open++;
    counts.pending++;
    this.byAddress.set(address, counts);
    let state: 'pending' | 'acknowledged' | 'released' = 'pending';
    return {
      acknowledged: () => {
        if (state !== 'pending') return;
        state = 'acknowledged';
        counts.pending--;
      },
      release: () => {
        if (state === 'released') return;
        if (state === 'pending') counts.pending--;
        state = 'released';
        counts.open--;
        if (counts.open === 0 && this.byAddress.get(address) === counts) this.byAddress.delete(address);
      },
    };
  }

  /** Sockets held, over every address (tests and metrics: both 0 once every socket has closed). */
  totals(): { open: number; pending: number; addresses: number } {
    let open = 0;
    let pending = 0;
    for (const c of this.byAddress.values()) {
      open += c.open;
      pending += c.pending;
    }
    return { open, pending, addresses: this.byAddress.size };
  }
}

/** How often, at most, refused upgrades are logged (one line with how many since the last). */
const REFUSAL_LOG_EVERY_MS = 10_000;

/** A logger of refused upgrades that writes at most one line per 10 s, however many are refused. */
export function refusalLog(warn: (fields: object, message: string) => void, now = () => performance.now()) {
  let last = Number.NEGATIVE_INFINITY;
  let unlogged = 0;
  return (address: string, why: CapRefusal) => {
    unlogged++;
    if (now() - last < REFUSAL_LOG_EVERY_MS) return;
    warn(
      { address, cap: why, refused: unlogged },
      'WebSocket upgrades refused: too many sockets from one address',
    );
    last = now();
    unlogged = 0;
  };
}

/**
 * Answers a refused upgrade request on its raw socket with HTTP 429 and closes it, as ws answers a handshake
 * it aborts: the server has not switched protocols, so a plain HTTP answer is what the client reads.
 */
export function refuseUpgrade(socket: Socket, why: CapRefusal): void {
  const message =
    why === 'pending'
      ? 'Too many WebSockets from this address are waiting for connection_init: retry later'
      : 'Too many WebSockets are open from this address: close one or retry later';
  const body = JSON.stringify(graphqlErrors(errorBody('rate_limited', message, newId('req'))));
  const retryAfter = why === 'pending' ? RETRY_AFTER_PENDING_S : RETRY_AFTER_OPEN_S;
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  socket.once('finish', () => socket.destroy());
  socket.end(
    'HTTP/1.1 429 Too Many Requests\r\n' +
      'Connection: close\r\n' +
      'Content-Type: application/json; charset=utf-8\r\n' +
      'Cache-Control: no-store\r\n' +
      `Retry-After: ${retryAfter}\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      '\r\n' +
      body,
  );
}
