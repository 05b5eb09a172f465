import { int, ms, table } from './report.js';

// The goals of issue 14, judged from the fan-out benchmark's own figures (bench/fanout.ts), each against
// its baseline in the same run.

/** One target's phase at one N, as the goals need it. */
export interface PhaseSummary {
  target: 'ours' | 'ours×2' | 'bare' | string;
  n: number;
  kind: 'isolated' | 'paced' | 'slow';
  p99: number;
  sendP99: number;
  complete: number;
  donations: number;
  delivered: number;
  expectedMessages: number;
  cpuPerMessageUs: number;
  kbPerConnection: number;
  rssBeforeKiB: number;
  rssClosedKiB: number;
  rssClosedSeconds: number;
}

const verdict = (ok: boolean) => (ok ? 'met' : '**NOT MET**');
const x = (a: number, b: number) => (Number.isFinite(a / b) ? `${(a / b).toFixed(2)}×` : 'n/a');

export function goalLines(all: PhaseSummary[]): string[] {
  const get = (target: string, n: number, kind: PhaseSummary['kind']) =>
    all.find((s) => s.target === target && s.n === n && s.kind === kind);
  const rows: string[][] = [];
  const o10 = get('ours', 10_000, 'isolated');
  const b10 = get('bare', 10_000, 'isolated');
  if (o10 && b10)
    rows.push([
      '10,000 sockets, one at a time: commit → last client p99 < 250 ms and ≤ 1/3 of bare',
      `${ms(o10.p99)} vs bare ${ms(b10.p99)} (${x(o10.p99, b10.p99)})`,
      verdict(o10.p99 < 250 && o10.p99 <= b10.p99 / 3 && o10.complete === o10.donations),
    ]);
  const o5 = get('ours', 5_000, 'paced');
  const b5 = get('bare', 5_000, 'paced');
  if (o5 && b5)
    rows.push([
      '5,000 sockets, one donation every 50 ms: p99 ≤ bare, every message arrives',
      `${ms(o5.p99)} vs bare ${ms(b5.p99)} (${x(o5.p99, b5.p99)}); send → last ${ms(o5.sendP99)} vs` +
        ` ${ms(b5.sendP99)}; ${int(o5.delivered)} of ${int(o5.expectedMessages)} messages`,
      verdict(o5.p99 <= b5.p99 && o5.delivered === o5.expectedMessages),
    ]);
  const cpu = all
    .filter((s) => s.target === 'ours' && s.kind !== 'slow')
    .map((s) => ({ s, b: get('bare', s.n, s.kind) }))
    .filter((p) => p.b !== undefined);
  if (cpu.length > 0)
    rows.push([
      'server CPU per delivered message ≤ 1/3 of bare (every N, both phases)',
      cpu.map(({ s, b }) => `${int(s.n)} ${s.kind}: ${x(s.cpuPerMessageUs, b!.cpuPerMessageUs)}`).join('; '),
      verdict(cpu.every(({ s, b }) => s.cpuPerMessageUs <= b!.cpuPerMessageUs / 3)),
    ]);
  const mem = all.filter((s) => s.target === 'ours' && s.kind === 'isolated');
  if (mem.length > 0) {
    rows.push([
      '≤ 20 KB RSS per subscribed connection',
      mem.map((s) => `${int(s.n)}: ${s.kbPerConnection.toFixed(1)} KB`).join('; '),
      verdict(mem.every((s) => s.kbPerConnection <= 20)),
    ]);
    rows.push([
      'RSS back within 10 % of the start once the sockets close',
      mem
        .map((s) => `${int(s.n)}: ${x(s.rssClosedKiB, s.rssBeforeKiB)} after ${s.rssClosedSeconds} s`)
        .join('; '),
      verdict(mem.every((s) => s.rssClosedKiB <= 1.1 * s.rssBeforeKiB)),
    ]);
  }
  const slow = all
    .filter((s) => s.target === 'ours' && s.kind === 'slow')
    .map((s) => ({ s, normal: get('ours', s.n, 'paced') }))
    .filter((p) => p.normal !== undefined);
  if (slow.length > 0)
    rows.push([
      '1 client in 20 reading slowly: the others within 10 % of the normal phase (p99), nothing dropped',
      slow.map(({ s, normal }) => `${int(s.n)}: ${ms(s.p99)} vs ${ms(normal!.p99)}`).join('; '),
      verdict(
        slow.every(({ s, normal }) => s.p99 <= 1.1 * normal!.p99 && s.delivered === s.expectedMessages),
      ),
    ]);
  const two = all.filter((s) => s.target === 'ours×2' && s.kind !== 'slow');
  const twoPairs = two.map((s) => ({ s, one: get('ours', s.n, s.kind) })).filter((p) => p.one);
  if (twoPairs.length > 0)
    rows.push([
      'two API processes behind one Redis: the same latency as one (p99 within 10 %)',
      twoPairs.map(({ s, one }) => `${int(s.n)} ${s.kind}: ${ms(s.p99)} vs ${ms(one!.p99)}`).join('; '),
      verdict(twoPairs.every(({ s, one }) => s.p99 <= 1.1 * one!.p99)),
    ]);
  return [
    'Goals (issue 14), each against its baseline in this run:',
    '',
    ...table(['goal', 'measured', ''], rows),
  ];
}
