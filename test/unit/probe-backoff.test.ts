import { describe, expect, it } from 'vitest';
import { ProbeBackoff } from '../../src/modules/webhooks/delivery/backoff.js';
import { EndpointQueues } from '../../src/modules/webhooks/delivery/endpoint-queues.js';
import type { Claimed } from '../../src/modules/webhooks/delivery/store.js';

// A failing endpoint's back-off (src/modules/webhooks/delivery/backoff.ts): the wait between probes starts at
// the first interval and doubles after each failed probe up to the max; a success (forget) ends it.

function backoff(firstMs = 1000, maxMs = 4000) {
  const timers: { ms: number; fn: () => void }[] = [];
  const b = new ProbeBackoff(firstMs, maxMs, { after: (ms, fn) => timers.push({ ms, fn }) });
  return { b, timers };
}

describe('ProbeBackoff', () => {
  it('waits the first interval after a failure, doubles after each failed probe, up to the max', () => {
    const { b } = backoff();
    expect(b.resting('ep', 0)).toBe(false);
    b.failed('ep', false, 0);
    expect(b.resting('ep', 999)).toBe(true);
    expect(b.resting('ep', 1000)).toBe(false);
    const waits: number[] = [];
    let now = 1000;
    for (let i = 0; i < 4; i++) {
      expect(b.probing('ep')).toBe(true);
      b.failed('ep', true, now);
      let next = now;
      while (b.resting('ep', next)) next += 100;
      waits.push(next - now);
      now = next;
    }
    expect(waits).toEqual([2000, 4000, 4000, 4000]);
    b.forget('ep');
    expect(b.probing('ep')).toBe(false);
    expect(b.resting('ep', now)).toBe(false);
  });

  it('does not double for deliveries already in flight when the endpoint started failing', () => {
    const { b } = backoff();
    b.failed('ep', false, 0);
    b.failed('ep', false, 10);
    b.failed('ep', false, 20);
    expect(b.resting('ep', 1019)).toBe(true);
    expect(b.resting('ep', 1020)).toBe(false);
  });

  it('is off with a first interval of 0', () => {
    const { b } = backoff(0);
    b.failed('ep', true, 0);
    expect(b.resting('ep', 0)).toBe(false);
    expect(b.probing('ep')).toBe(false);
  });

  it('sets one timer, for the earliest endpoint with deliveries waiting', () => {
    const { b, timers } = backoff();
    b.failed('a', false, 0);
    b.failed('b', false, 500);
    b.failed('c', false, 100); // nothing waiting for it
    const waiting = (id: string) => id !== 'c';
    b.schedule(waiting, 200, () => undefined);
    b.schedule(waiting, 300, () => undefined);
    expect(timers.map((t) => t.ms)).toEqual([800]);
    timers[0]!.fn();
    b.schedule(waiting, 1000, () => undefined);
    expect(timers.map((t) => t.ms)).toEqual([800, 500]);
  });

  it('forgets endpoints with nothing in hand once their probe time is long past', () => {
    const { b } = backoff(1000, 4000);
    b.failed('a', false, 0);
    b.failed('b', false, 0);
    b.prune((id) => id === 'b', 5001);
    expect(b.probing('a')).toBe(false);
    expect(b.probing('b')).toBe(true);
  });
});

describe('EndpointQueues.take with a resting endpoint', () => {
  const claimed = (endpointId: string, i: number) =>
    ({ eventId: `evt_${i}`, endpointId, endpoint: { failing_since: null } }) as unknown as Claimed;

  it('passes it over and gives its slots to the others', () => {
    const q = new EndpointQueues(4, 32);
    for (const ep of ['a', 'b']) for (let i = 0; i < 3; i++) q.push(claimed(ep, i));
    const taken = q.take(8, (id) => id === 'a');
    expect(taken.map((t) => t.d.endpointId)).toEqual(['b', 'b', 'b']);
    expect(q.byId.get('a')!.queue).toHaveLength(3);
    expect(q.take(8).map((t) => t.d.endpointId)).toEqual(['a', 'a', 'a']);
  });
});
