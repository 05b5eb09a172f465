import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type AddressPlace, AddressSockets, refusalLog } from '../../src/http/ws-address-cap.js';

// The per-address socket counts (src/http/ws-address-cap.ts) against a model: whatever mixture of takes,
// acknowledgements and releases (each repeated, in any order, as a socket's close, error and terminate paths
// may call them), a take is refused exactly when a cap is full, and the counts return to 0.

const LIMITS = { maxPending: 3, maxOpen: 5 };
const action = fc.oneof(
  fc.record({ kind: fc.constant('take' as const), address: fc.integer({ min: 0, max: 2 }) }),
  fc.record({ kind: fc.constant('ack' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('release' as const), pick: fc.nat() }),
);

describe('per-address socket caps', () => {
  it('refuse exactly past a cap and count back to 0 across any mixture', () => {
    fc.assert(
      fc.property(fc.array(action, { maxLength: 80 }), (actions) => {
        const caps = new AddressSockets(LIMITS);
        const places: { address: number; place: AddressPlace; state: 'pending' | 'acked' | 'released' }[] =
          [];
        const held = (address: number, state?: 'pending') =>
          places.filter(
            (p) => p.address === address && p.state !== 'released' && (!state || p.state === state),
          ).length;
        for (const a of actions) {
          if (a.kind === 'take') {
            const expected =
              held(a.address) >= LIMITS.maxOpen
                ? 'open'
                : held(a.address, 'pending') >= LIMITS.maxPending
                  ? 'pending'
                  : null;
            const place = caps.take(`a${a.address}`);
            if (typeof place === 'string') expect(place).toBe(expected);
            else {
              expect(expected).toBeNull();
              places.push({ address: a.address, place, state: 'pending' });
            }
          } else if (places.length > 0) {
            const p = places[a.pick % places.length]!;
            if (a.kind === 'ack') {
              p.place.acknowledged();
              if (p.state === 'pending') p.state = 'acked';
            } else {
              p.place.release();
              p.state = 'released';
            }
          }
          const totals = caps.totals();
          expect(totals.open).toBe(places.filter((p) => p.state !== 'released').length);
          expect(totals.pending).toBe(places.filter((p) => p.state === 'pending').length);
        }
        for (const p of places) p.place.release();
        expect(caps.totals()).toEqual({ open: 0, pending: 0, addresses: 0 });
      }),
      { numRuns: 300 },
    );
  });

  it('log refusals at most once per 10 s, with how many since the last line', () => {
    let t = 0;
    const lines: object[] = [];
    const log = refusalLog(
      (fields) => lines.push(fields),
      () => t,
    );
    log('198.51.100.1', 'pending');
    for (let i = 0; i < 5; i++) log('198.51.100.1', 'open');
    t = 10_000;
    log('198.51.100.2', 'open');
    expect(lines).toEqual([
      { address: '198.51.100.1', cap: 'pending', refused: 1 },
      { address: '198.51.100.2', cap: 'open', refused: 6 },
    ]);
  });
});
