import { describe, expect, it } from 'vitest';
import { MessageBudget } from '../../src/http/ws-budget.js';

// The per-socket message budget (src/http/ws-budget.ts) on a clock the test moves.

describe('a socket message budget', () => {
  it('gives its burst at once, then refills at its rate, never past its burst', () => {
    let now = 0;
    const b = new MessageBudget(10, 5, () => now);
    const spend = (n: number) => Array.from({ length: n }, () => b.spend());
    expect(spend(6)).toEqual([true, true, true, true, true, false]);
    now += 250; // 2.5 units
    expect(spend(3)).toEqual([true, true, false]);
    now += 50; // 0.5 left + 0.5
    expect(spend(2)).toEqual([true, false]);
    now += 60_000; // a minute idle refills the burst, no more
    expect(spend(6)).toEqual([true, true, true, true, true, false]);
  });

  it('lets a sender at its rate go on for ever, and runs one faster than that dry', () => {
    let now = 0;
    const steady = new MessageBudget(100, 500, () => now);
    for (let i = 0; i < 10_000; i++, now += 10) expect(steady.spend()).toBe(true);
    now = 0;
    const fast = new MessageBudget(100, 500, () => now);
    let sent = 0;
    while (fast.spend()) {
      sent++;
      now += 5; // 200 a second: the burst drains at 100 a second net
    }
    expect(sent).toBeGreaterThanOrEqual(999);
    expect(sent).toBeLessThanOrEqual(1001);
  });
});
