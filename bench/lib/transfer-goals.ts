import type { Measured } from '../transfers.js';
import { int, ms, table } from './report.js';

// Issue 15's goals, each judged against its baseline of the same run; with BENCH_ROUNDS, per round and on the
// rounds' median.

interface Goal {
  goal: string;
  result: string;
  met: boolean | null;
}

function ratio(a: number | undefined, b: number | undefined): number | null {
  return a === undefined || b === undefined || b === 0 ? null : a / b;
}

/** One value per round, and the median they are judged by (the lower middle of an even count). */
function perRound(values: number[], fmt: (v: number) => string): { text: string; median: number } | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((x, y) => x - y);
  const median = sorted[Math.floor((sorted.length - 1) / 2)]!;
  return {
    text: values.length === 1 ? fmt(median) : `${values.map(fmt).join(', ')} (rounds); median ${fmt(median)}`,
    median,
  };
}

export function goalLines(results: Measured[]): string[] {
  const rounds = [...new Set(results.map((m) => m.round))];
  const byRound = rounds.map(
    (r) => new Map(results.filter((m) => m.round === r).map((m) => [m.phase.key, m])),
  );
  const last = byRound.at(-1) ?? new Map<string, Measured>();
  const goals: Goal[] = [];
  const x = (v: number) => `${v.toFixed(2)}×`;
  const vsPgbench = (k: string, want: number, label: string) => {
    const pairs = byRound.map((by) => by.get(k)).filter((m) => m?.pgbench) as Measured[];
    const r = perRound(
      pairs.map((m) => ratio(m.load.perSecond, m.pgbench!.tps)!),
      x,
    );
    const one = pairs.length === 1 ? pairs[0]! : null;
    goals.push({
      goal: `${label} ≥ ${want}× pgbench scale ${last.get(k)?.pgbench?.scale ?? '?'}`,
      result:
        r === null
          ? 'n/a'
          : one
            ? `${int(one.load.perSecond)} vs ${int(one.pgbench!.tps)} tps = ${r.text}`
            : r.text,
      met: r === null ? null : r.median >= want,
    });
  };
  vsPgbench('a', 1.5, 'random pairs');
  vsPgbench('b', 3, 'one hot payee');
  const paced = byRound.map((by) => by.get('c')).filter(Boolean) as Measured[];
  const c = perRound(
    paced.map((m) => m.load.p99Ms),
    (v) => ms(v),
  );
  goals.push({
    goal: 'p99 < 25 ms at half of (a)’s rate',
    result:
      c === null
        ? 'n/a'
        : paced.length === 1
          ? `${int(paced[0]!.load.perSecond)}/s: p50 ${ms(paced[0]!.load.p50Ms)}, p99 ${c.text}`
          : `p99 ${c.text}`,
    met: c === null ? null : c.median < 25,
  });
  const vs = (k: string, base: string, want: number, label: string) => {
    const pairs = byRound
      .map((by) => [by.get(k)?.load.perSecond, by.get(base)?.load.perSecond] as const)
      .filter(([a, b]) => ratio(a, b) !== null);
    const r = perRound(
      pairs.map(([a, b]) => ratio(a, b)!),
      x,
    );
    const one = pairs.length === 1 ? pairs[0]! : null;
    goals.push({
      goal: `${label} ≥ ${want}× (${base})`,
      result: r === null ? 'n/a' : one ? `${int(one[0]!)} vs ${int(one[1]!)}/s = ${r.text}` : r.text,
      met: r === null ? null : r.median >= want,
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
