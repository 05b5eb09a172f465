import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/lib/logger.js';
import { FanoutHub, type Frame, type Sink } from '../../src/modules/realtime/index.js';

// The hub frames a message once per distinct subscription id in a group (src/modules/realtime/hub.ts): a
// subscriber whose id no other subscriber of its group has gets a frame of its own without a lookup, those
// that share an id share one. Whatever the sequence of joins and leaves, every subscriber still in the group
// gets each message exactly once, in a frame that carries its own id, and subscribers that share an id share
// one frame.

/** A topic whose messages the test pushes: an async iterable over a queue. */
function topic() {
  const queue: unknown[] = [];
  let wake: (() => void) | null = null;
  const iterable: AsyncIterable<unknown> = {
    [Symbol.asyncIterator]: () => ({
      async next() {
        while (queue.length === 0) await new Promise<void>((r) => (wake = r));
        return { value: queue.shift(), done: false };
      },
      async return() {
        return { value: undefined, done: true };
      },
    }),
  };
  return {
    source: () => iterable,
    push(m: unknown) {
      queue.push(m);
      wake?.();
      wake = null;
    },
  };
}

class TestSink implements Sink {
  readonly got: string[] = [];
  last: Frame | null = null;
  open = true;
  bufferedAmount = 0;
  send(frame: Frame): void {
    this.got.push(frame.text);
    this.last = frame;
  }
  close(): void {
    this.open = false;
  }
}

type Step = { kind: 'join'; id: string } | { kind: 'leave'; index: number } | { kind: 'message' };

const steps = fc.array(
  fc.oneof(
    fc.record({ kind: fc.constant('join' as const), id: fc.constantFrom('1', '2', 'a-b', 'é') }),
    fc.record({ kind: fc.constant('leave' as const), index: fc.nat(20) }),
    fc.constant({ kind: 'message' as const }),
  ),
  { minLength: 1, maxLength: 40 },
);

describe('fan-out frames per subscription id', () => {
  it('gives every subscriber each message once, with its own id, through any joins and leaves', async () => {
    await fc.assert(
      fc.asyncProperty(steps, async (plan: Step[]) => {
        const t = topic();
        const hub = new FanoutHub(
          t.source,
          { coalesceBytes: 1 << 20, slowBytes: 1 << 20 },
          createLogger('silent'),
        );
        const members: { id: string; sink: TestSink; leave: () => void; want: string[] }[] = [];
        let n = 0;
        for (const step of plan) {
          if (step.kind === 'join') {
            const sink = new TestSink();
            const leave = hub.add({ name: 'donations', key: 's' }, 'group', {
              id: step.id,
              sink,
              policy: 'every',
              render: (p) => JSON.stringify(p),
            });
            members.push({ id: step.id, sink, leave, want: [] });
          } else if (step.kind === 'leave') {
            const m = members.splice(step.index % Math.max(1, members.length), 1)[0];
            m?.leave();
            m?.leave(); // a complete, then the socket's close: the second is a no-op
          } else if (members.length > 0) {
            const payload = { n: n++ };
            for (const m of members)
              m.want.push(
                `{"id":${JSON.stringify(m.id)},"type":"next","payload":${JSON.stringify(payload)}}`,
              );
            t.push(payload);
            await new Promise((r) => setImmediate(r));
            // Subscribers that share an id got the same frame; no two ids share one.
            const byId = new Map<string, Set<Frame | null>>();
            for (const m of members) byId.set(m.id, (byId.get(m.id) ?? new Set()).add(m.sink.last));
            for (const frames of byId.values()) expect(frames.size).toBe(1);
            expect(new Set(members.map((m) => m.sink.last)).size).toBe(byId.size);
          }
        }
        for (const m of members) expect(m.sink.got).toEqual(m.want);
        for (const m of members) m.leave();
        expect(hub.registered).toEqual({ topics: 0, groups: 0, subscribers: 0, coalesced: 0 });
      }),
      { numRuns: 200 },
    );
  });
});
