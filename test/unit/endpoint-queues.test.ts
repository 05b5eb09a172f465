import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EndpointQueues } from '../../src/modules/webhooks/delivery/endpoint-queues.js';
import type { Claimed } from '../../src/modules/webhooks/delivery/store.js';

// The dispatcher's per-endpoint queues (src/modules/webhooks/delivery/endpoint-queues.ts): with fewer slots
// than the busy endpoints' caps, each endpoint takes one slot per turn; a failing one gets one slot at most.

const claimed = (endpointId: string, i: number, failing = false) =>
  ({
    eventId: `evt_${i}`,
    endpointId,
    attempts: 0,
    eventType: 'transfer.completed',
    payload: '{}',
    eventCreatedAt: new Date(0),
    endpoint: { failing_since: failing ? new Date(0) : null },
  }) as unknown as Claimed;

describe('EndpointQueues.take', () => {
  it('takes at most the slots and the caps, and gives each endpoint its turn when slots are short', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 20 }), fc.boolean()), { minLength: 1, maxLength: 8 }),
        fc.integer({ min: 0, max: 40 }),
        (endpoints, slots) => {
          const q = new EndpointQueues(4, 32);
          let queued = 0;
          endpoints.forEach(([n, failing], e) => {
            for (let i = 0; i < n; i++) q.push(claimed(`ep${e}`, i, failing));
            queued += n;
          });
          const taken = q.take(slots);
          expect(taken.length).toBeLessThanOrEqual(slots);
          expect(q.queued).toBe(queued - taken.length);
          const startedBy = new Map<string, number>();
          for (const t of taken) startedBy.set(t.d.endpointId, (startedBy.get(t.d.endpointId) ?? 0) + 1);
          for (const [id, s] of q.byId) {
            expect(s.active).toBe(startedBy.get(id) ?? 0);
            expect(s.active).toBeLessThanOrEqual(s.failing ? 1 : 4);
          }
          // Fair: an endpoint left waiting with a free slot of its own never has more than one fewer started
          // than any other endpoint.
          const waiting = [...q.byId].filter(([, s]) => s.queue.length > 0 && s.active < q.cap(s));
          for (const [id] of waiting)
            for (const n of startedBy.values()) expect(n - (startedBy.get(id) ?? 0)).toBeLessThanOrEqual(1);
          // Slots left over mean every endpoint took all it could.
          if (taken.length < slots) expect(waiting).toEqual([]);
        },
      ),
    );
  });

  it('starts from a different endpoint each time', () => {
    const q = new EndpointQueues(4, 32);
    for (const ep of ['a', 'b', 'c']) for (let i = 0; i < 3; i++) q.push(claimed(ep, i));
    const firsts: string[] = [];
    for (let i = 0; i < 3; i++) {
      const [t] = q.take(1);
      firsts.push(t!.d.endpointId);
      t!.s.active--; // finished
    }
    expect(new Set(firsts).size).toBe(3);
  });
});

describe('EndpointQueues.take, slot after slot', () => {
  it('gives busy endpoints turns in rotation, whatever idle endpoints lie between them in the map', () => {
    // The dispatcher's steady state: every finished delivery frees one slot, and take(1) hands it out. Idle
    // endpoints stay in the map (an owned endpoint's claim creates its state; cached secrets keep it 30 s).
    fc.assert(
      fc.property(
        fc
          .array(fc.boolean(), { minLength: 2, maxLength: 12 })
          .filter((busy) => busy.filter(Boolean).length >= 2),
        fc.integer({ min: 1, max: 3 }),
        (busy, slots) => {
          const q = new EndpointQueues(64, 32);
          const busyIds = busy.flatMap((b, e) => (b ? [`ep${e}`] : []));
          busy.forEach((b, e) => {
            const s = q.state(`ep${e}`);
            if (b) for (let i = 0; i < 200; i++) q.push(claimed(`ep${e}`, i));
            else s.secrets = { updatedAt: 0, at: 0, values: {} as never, guarded: false };
          });
          const started = new Map<string, number>(busyIds.map((id) => [id, 0]));
          const inFlight = q.take(Math.min(slots, busyIds.length - 1));
          for (let round = 0; round < 100; round++) {
            for (const t of inFlight.splice(0, 1)) t.s.active--; // the oldest finishes
            for (const t of q.take(1)) {
              started.set(t.d.endpointId, started.get(t.d.endpointId)! + 1);
              inFlight.push(t);
            }
          }
          const counts = [...started.values()];
          expect(Math.max(...counts) - Math.min(...counts), JSON.stringify([...started])).toBeLessThanOrEqual(
            1,
          );
        },
      ),
    );
  });
});
