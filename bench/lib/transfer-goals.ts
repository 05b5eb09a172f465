import type { Measured } from '../transfers.js';
import { int, ms, table } from './report.js';

// Issue 15's goals, each judged against its baseline of the same run.

interface Goal {
  goal: string;
  result: string;
  met: boolean | null;
}

function ratio(a: number | undefined, b: number | undefined): number | null {
  return a === undefined || b === undefined || b === 0 ? null : a / b;
}

export function goalLines(results: Measured[]): string[] {
  const by = new Map(results.map((m) => [m.phase.key, m]));
  const rate = (k: string) => by.get(k)?.load.perSecond;
  const goals: Goal[] = [];
  const vsPgbench = (k: string, want: number, label: string) => {
    const m = by.get(k);
    const r = ratio(m?.load.perSecond, m?.pgbench?.tps);
    goals.push({
      goal: `${label} ≥ ${want}× pgbench scale ${m?.pgbench?.scale ?? '?'}`,
      result:
        r === null ? 'n/a' : `${int(m!.load.perSecond)} vs ${int(m!.pgbench!.tps)} tps = ${r.toFixed(2)}×`,
      met: r === null ? null : r >= want,
    });
  };
  vsPgbench('a', 1.5, 'random pairs');
  vsPgbench('b', 3, 'one hot payee');
  const c = by.get('c');
  goals.push({
    goal: 'p99 < 25 ms at half of (a)’s rate',
    result: c ? `${int(c.load.perSecond)}/s: p50 ${ms(c.load.p50Ms)}, p99 ${ms(c.load.p99Ms)}` : 'n/a',
    met: c ? c.load.p99Ms < 25 : null,
  });
  const vs = (k: string, base: string, want: number, label: string) => {
    const r = ratio(rate(k), rate(base));
    goals.push({
      goal: `${label} ≥ ${want}× (${base})`,
      result: r === null ? 'n/a' : `${int(rate(k)!)} vs ${int(rate(base)!)}/s = ${r.toFixed(2)}×`,
      met: r === null ? null : r >= want,
    });
  };
  vs('d', 'a', 0.85, 'with idempotency keys (d): keys cost ≤ 15 %,');
  vs('e', 'a', 0.9, 'GraphQL transfer (e) within 10 % of REST,');
  vs('f', 'd', 0.9, '`adjustBalance` (f, keyed) within 10 % of a keyed transfer,');
  const invariants = results.every(
    (m) => m.ledger.transfers === m.load.okTotal && m.ledger.balanceSum === '0' && m.outboxMs !== null,
  );
  goals.push({
    goal: 'every 200 committed, balances sum to 0, outbox published all within 10 s (every phase)',
    result: invariants ? 'yes' : 'NO (see the phase lines)',
    met: invariants,
  });
  const met = (g: Goal) => (g.met === null ? 'n/a' : g.met ? 'met' : '**NOT MET**');
  return table(
    ['goal (issue 15)', 'this run', ''],
    goals.map((g) => [g.goal, g.result, met(g)]),
  );
}
