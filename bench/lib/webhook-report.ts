import type { Config } from '../../src/config.js';
import { type CpuSplit, formatCpu } from './cpu.js';
import { int, ms, statusSummary, table } from './report.js';
import type { Transfers } from './webhook-phases.js';
import type { Baseline, Phase } from './webhook-types.js';

// The report of `npm run bench -- webhooks`: one table of the goals of issue 13 with their same-run
// baselines, then each phase's details (where the time went, the database's view, the CPU lines).

const ratio = (a: number, b: number) => (Number.isFinite(a / b) ? `${(a / b).toFixed(2)}×` : 'n/a');
const pair = ([a, b]: [number, number]) => `${ms(a)} / ${ms(b)}`;
const verdict = (ok: boolean) => (ok ? 'met' : '**NOT MET**');

export interface ReportInput {
  k: number;
  /** Each phase is missing when BENCH_PHASES left it out; its goal row is then left out too. */
  reference?: { transfers: Transfers; cpu: CpuSplit; ledger?: string };
  drains: { ours: Phase; base: Baseline | null }[];
  live?: Phase;
  /** The reference/live10 pair, once per round (WEBHOOK_LIVE_ROUNDS); the first round's are the plain phases. */
  liveRounds: { reference?: ReportInput['reference']; live?: Phase }[];
  rate?: Phase;
  /** The healthy8/faults pair, once per round (WEBHOOK_FAULT_ROUNDS); the first round's are the plain phases. */
  faultRounds: { healthy8?: Phase; faults?: Phase }[];
  /** The scale phase's own baseline: the same drain with one worker, just before. */
  scaleOne?: Phase;
  scale?: Phase;
  rateSpec: { perSecond: number; seconds: number };
  cfg: Config;
  overridden: string[];
}

function liveRow(pairs: { live: Phase; reference: Transfers }[]): string[] {
  const title = 'live, 10 endpoints: the API’s transfers/s ≥ 0.8× with no endpoint';
  const api = pairs.map((p) => p.live.transfers.perSecond / p.reference.perSecond);
  const each = pairs
    .map(
      (p) =>
        `${int(p.live.transfers.perSecond)}/s vs ${int(p.reference.perSecond)}/s = ${ratio(p.live.transfers.perSecond, p.reference.perSecond)}`,
    )
    .join(', ');
  if (pairs.length === 1) return [title, each, verdict(api[0]! >= 0.8)];
  return [
    `${title} (${pairs.length} rounds, judged on the median)`,
    `${each}: median ${median(api).toFixed(2)}×`,
    verdict(median(api) >= 0.8),
  ];
}

function rateRow(rate: Phase, spec: ReportInput['rateSpec']): string[] {
  const f = rate.figures;
  return [
    `rate, ${spec.perSecond} transfers/s to 1 endpoint: commit → receipt p99 < 500 ms`,
    `p50 ${ms(f.p50)}, p99 ${ms(f.p99)}, ${int(f.deliveries)} of ${int(f.expected)}`,
    verdict(f.p99 < 500 && f.deliveries === f.expected),
  ];
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

function faultsRow(pairs: { healthy8: Phase; faults: Phase }[]): string[] {
  const perEndpoint = (x: Phase['figures']) => x.perSecond / 8;
  const rate = pairs.map((p) => perEndpoint(p.faults.figures) / perEndpoint(p.healthy8.figures));
  const p99 = pairs.map((p) => p.faults.figures.p99 / p.healthy8.figures.p99);
  const title =
    'faults, 100 transfers/s: 8 healthy endpoints beside one that times out and one that answers 500, within 10 % of 8 alone';
  if (pairs.length === 1) {
    const h = pairs[0]!.healthy8.figures;
    const f = pairs[0]!.faults.figures;
    return [
      title,
      `per endpoint ${int(perEndpoint(f))}/s vs ${int(perEndpoint(h))}/s (${ratio(perEndpoint(f), perEndpoint(h))}); p99 ${ms(f.p99)} vs ${ms(h.p99)} (${ratio(f.p99, h.p99)})`,
      verdict(rate[0]! >= 0.9 && p99[0]! <= 1.1),
    ];
  }
  const list = (xs: number[]) => xs.map((x) => `${x.toFixed(2)}×`).join(', ');
  return [
    `${title} (${pairs.length} rounds, judged on the median)`,
    `per endpoint ${list(rate)}: median ${median(rate).toFixed(2)}×; p99 ${pairs.map((p) => `${ms(p.faults.figures.p99)} vs ${ms(p.healthy8.figures.p99)}`).join(', ')}: ${list(p99)}, median ${median(p99).toFixed(2)}×`,
    verdict(median(rate) >= 0.9 && median(p99) <= 1.1),
  ];
}

function scaleRow(one: Phase['figures'], two: Phase['figures']): string[] {
  return [
    'scale, 10 endpoints: deliveries/s with two worker processes against one; each delivered exactly once',
    `${int(two.perSecond)}/s vs ${int(one.perSecond)}/s = ${ratio(two.perSecond, one.perSecond)}; duplicates ${two.duplicates}`,
    verdict(two.perSecond > one.perSecond && two.duplicates === 0),
  ];
}

function goals(r: ReportInput): string[][] {
  const rows: string[][] = [];
  for (const { ours, base } of r.drains) {
    if (!base) continue;
    const q = ours.figures.perSecond / base.figures.perSecond;
    rows.push([
      `drain, ${ours.endpoints} endpoint(s): deliveries/s ≥ 0.7× plain fetch (${base.concurrency} in flight)`,
      `${int(ours.figures.perSecond)}/s vs ${int(base.figures.perSecond)}/s = ${ratio(ours.figures.perSecond, base.figures.perSecond)}`,
      verdict(q >= 0.7),
    ]);
  }
  const livePairs = r.liveRounds.flatMap((x) =>
    x.live && x.reference ? [{ live: x.live, reference: x.reference.transfers }] : [],
  );
  if (livePairs.length > 0) rows.push(liveRow(livePairs));
  if (r.rate) rows.push(rateRow(r.rate, r.rateSpec));
  const pairs = r.faultRounds.flatMap((x) =>
    x.healthy8 && x.faults ? [{ healthy8: x.healthy8, faults: x.faults }] : [],
  );
  if (pairs.length > 0) rows.push(faultsRow(pairs));
  if (r.scaleOne && r.scale) rows.push(scaleRow(r.scaleOne.figures, r.scale.figures));
  return rows;
}

function phaseLines(p: Phase): string[] {
  const o = p.figures;
  const t = p.transfers;
  const missing = o.expected - o.deliveries;
  return [
    `- ${p.name} (${p.endpoints} endpoint(s)): ${int(t.commits.size)} transfers at ${int(t.perSecond)}/s (${statusSummary(t.statuses)}); ${p.waited}`,
    `  deliveries: ${int(o.deliveries)} of ${int(o.expected)} in ${o.seconds.toFixed(1)} s, ${int(o.perSecond)}/s` +
      `${missing > 0 ? ` — ${int(missing)} MISSING` : ''}; ${o.duplicates ? `${int(o.duplicates)} DUPLICATES` : 'no duplicates'}` +
      `; commit → receipt p50 ${ms(o.p50)}, p99 ${ms(o.p99)}, max ${ms(o.max)}` +
      `; the slowest 1 %: ${int(o.tail.transfers)} transfers in ${int(o.tail.windows)} 100-ms windows (most: ${o.tail.worst.join(', ')})`,
    `  per endpoint: slowest ${int(o.endpointRates[0])}/s, fastest ${int(o.endpointRates[1])}/s`,
    `  database: deliveries ${JSON.stringify(p.db.deliveries)}; ${int(p.db.attempts)} attempts logged` +
      `${p.db.failedAttempts ? `, ${int(p.db.failedAttempts)} failed: ${p.db.errors.join('; ')}` : ', none failed'}`,
    `  where the time went (database clocks, p50 / p99): event → delivery row (relay) ${pair(p.db.relayMs)};` +
      ` delivery row → delivered (wait, POST, write) ${pair(p.db.queueMs)}; the POST as the worker timed it ${pair(p.db.postMs)}`,
    `  ${formatCpu(p.cpu)}`,
    ...(p.ledger ? [`  ${p.ledger}`] : []),
    ...(p.stalls ?? []).map((l) => `  ${l}`),
    ...t.samples.map((s) => `  sample non-200 transfer: ${s}`),
  ];
}

function referenceLines(name: string, ref: NonNullable<ReportInput['reference']>): string[] {
  const rt = ref.transfers;
  return [
    `- ${name}: ${int(rt.commits.size)} transfers at ${int(rt.perSecond)}/s with no endpoint (${statusSummary(rt.statuses)})`,
    `  ${formatCpu(ref.cpu)}`,
    ...(ref.ledger ? [`  ${ref.ledger}`] : []),
  ];
}

export function report(r: ReportInput): string[] {
  const lines = [...table(['goal', 'measured (same run)', ''], goals(r)), ''];
  if (r.reference) lines.push(...referenceLines('reference', r.reference));
  for (const { ours, base } of r.drains) {
    lines.push(...phaseLines(ours));
    if (base) {
      const b = base.figures;
      lines.push(
        `- plain fetch, ${base.endpoints} URL(s), ${base.concurrency} in flight: ${int(b.deliveries)} of ${int(b.expected)} in ${b.seconds.toFixed(1)} s,` +
          ` ${int(b.perSecond)}/s; sender saw ${JSON.stringify(base.sent.statuses)}; latency p50 ${ms(b.p50)}, p99 ${ms(b.p99)}`,
        `  ${formatCpu(base.cpu, 'other (the sender process, kernel, other processes)')}`,
      );
    }
  }
  if (r.live) lines.push(...phaseLines(r.live));
  for (const [i, x] of r.liveRounds.entries()) {
    if (i === 0) continue;
    if (x.reference) lines.push(...referenceLines(`reference-r${i + 1}`, x.reference));
    if (x.live) lines.push(...phaseLines(x.live));
  }
  const faultPhases = r.faultRounds.flatMap((x) => [x.healthy8, x.faults]);
  for (const p of [r.rate, ...faultPhases, r.scaleOne, r.scale]) if (p) lines.push(...phaseLines(p));
  lines.push(
    `- settings (${r.overridden.length ? `SET IN THE ENVIRONMENT: ${r.overridden.join(', ')}` : 'defaults'}): WEBHOOK_CONCURRENCY ${r.cfg.webhookConcurrency},` +
      ` WEBHOOK_PER_ENDPOINT_CONCURRENCY ${r.cfg.webhookPerEndpointConcurrency}, WEBHOOK_TIMEOUT_MS ${r.cfg.webhookTimeoutMs};` +
      ' one API process (--role api) and one worker process (--role worker), two in the scale phase; receiver: node:http in the bench process',
    `- transfers: ${int(r.k)} signed POST /api/v1/transfer of 1 Star per phase by 8 closed-loop clients (rate: open loop at ${r.rateSpec.perSecond}/s for ${r.rateSpec.seconds} s);` +
      ' latency = receipt at the receiver − the transfer’s HTTP response at the bench (same clock); drain phases build the backlog with delivery paused' +
      ' on the dashboard and measure from the first to the last receipt after the resume',
    `- plain fetch: the body of one real delivery POSTed by a child process with fetch, as many in flight as the worker allows itself`,
  );
  return lines;
}
