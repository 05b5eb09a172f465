import type { Baseline, FollowBaseline, NodeWork } from './payouts-baselines.js';
import {
  blocksLine,
  cpuLine,
  f2,
  nodeLine,
  passesLine,
  profileLines,
  rpcLine,
  splitLine,
  stepMs,
  stepTable,
} from './payouts-breakdown.js';
import type { Checks } from './payouts-checks.js';
import {
  CONFIRMATIONS,
  CREDIT_STARS,
  MONITOR_MS,
  NETWORK,
  SETUP_CONCURRENCY,
  type SetUp,
  type Sizes,
  WITHDRAW_STARS,
} from './payouts-fixtures.js';
import type { Phase } from './payouts-phases.js';
import { int, ms, serverLogSummary, table } from './report.js';

// The report of `npm run bench -- payouts` (bench/payouts.ts): one table of ours against the baselines, the
// rates and counts in a few lines, each phase's details, the baselines' details, the set-up and the checks.

export interface Run {
  s: Sizes;
  setup: SetUp;
  bare: Baseline & { node: NodeWork };
  rpcs: Baseline & { node: NodeWork };
  follow: FollowBaseline & { node: NodeWork };
  sendPhase: Phase;
  completePhase: Phase;
  /** One more pass once everything is completed. */
  idlePhase: Phase;
  confirmBlocks: number;
  checks: Checks;
  scheduled: number;
  logLines: string[];
  stopMs: number;
}

export function report(r: Run): string[] {
  const k = figures(r);
  return [
    ...comparisonTable(r, k),
    '',
    ...summaryLines(r, k),
    '',
    ...sendPhaseLines(r),
    ...completePhaseLines(r),
    '',
    ...baselineLines(r),
    '',
    ...setUpAndCheckLines(r),
  ];
}

/** The rates the table and the summary compare (per second). */
interface Figures {
  bareRate: number;
  rpcsRate: number;
  oursSend: number;
  /** Payouts completed during the send phase, and during the complete phase. */
  doneEarly: number;
  doneInPhase: number;
  oursDone: number;
  oursFollowed: number;
  followRate: number;
}

const sum = (p: Phase, k: 'sent' | 'completed') => p.passes.reduce((a, x) => a + x[k], 0);
const lookups = (p: Phase) => p.timers.find(([x]) => x === 'wallet.lookup')?.[1].calls ?? 0;
const calls = (b: Baseline) => Object.values(b.rpcCalls).reduce((a, v) => a + v, 0);
const oursCalls = (p: Phase) =>
  p.timers.filter(([x]) => x.startsWith('rpc ')).reduce((a, [, v]) => a + v.calls, 0);
const x = (a: number, b: number) => `${(a / b).toFixed(2)}×`;
const fmt = (o: Record<string, number>) =>
  Object.entries(o)
    .map(([k, v]) => `${k} ${int(v)}`)
    .join(', ') || 'none';

function figures(r: Run): Figures {
  const { s, bare, rpcs, follow, sendPhase, completePhase } = r;
  const doneInPhase = sum(completePhase, 'completed');
  return {
    bareRate: s.n / bare.seconds,
    rpcsRate: s.n / rpcs.seconds,
    oursSend: s.n / sendPhase.seconds,
    doneEarly: sum(sendPhase, 'completed'),
    doneInPhase,
    oursDone: doneInPhase / completePhase.seconds,
    oursFollowed: lookups(completePhase) / completePhase.seconds,
    followRate: follow.n / follow.seconds,
  };
}

/** Ours against the baselines, one row each. */
function comparisonTable(r: Run, k: Figures): string[] {
  const { s, bare, rpcs, follow, sendPhase, completePhase } = r;
  const n = s.n;
  const row = (label: string, count: number, secs: number, unit: string, rpc: number, vs: string) => [
    label,
    int(count),
    f2(secs),
    `${int(count / secs)} ${unit}`,
    `${int(rpc)} (${f2(rpc / count)})`,
    vs,
  ];
  return table(
    ['phase', 'transactions', 'seconds', 'rate', 'RPC calls (per transaction)', 'ours / baseline'],
    [
      row('bare ethers: sign + eth_sendRawTransaction, local nonces', n, bare.seconds, '/s', calls(bare), ''),
      row(
        "bare ethers + the worker's per-payout RPCs (fee data, eth_estimateGas ×2, send)",
        n,
        rpcs.seconds,
        '/s',
        calls(rpcs),
        '',
      ),
      row(
        `**ours: passes until all ${int(n)} are signed and broadcast**`,
        n,
        sendPhase.seconds,
        'payouts/s',
        oursCalls(sendPhase),
        `${x(k.oursSend, k.bareRate)} bare, ${x(k.oursSend, k.rpcsRate)} with the RPCs`,
      ),
      row(
        'bare ethers: eth_getTransactionReceipt + eth_blockNumber per transaction, after the confirmations',
        follow.n,
        follow.seconds,
        'lookups/s',
        follow.n * 2,
        '',
      ),
      row(
        `**ours: the confirmations mined, passes until all ${int(n)} are completed** (${int(k.doneEarly)} already` +
          ` were, during the send phase)`,
        k.doneInPhase,
        completePhase.seconds,
        'completions/s',
        oursCalls(completePhase),
        `${x(k.oursFollowed, k.followRate)} per transaction followed (${int(k.oursFollowed)}/s)`,
      ),
    ],
  );
}

/** The rates and counts in a few lines: send, complete, the idle pass, SQL statements, events. */
function summaryLines(r: Run, k: Figures): string[] {
  const { s, sendPhase, completePhase, idlePhase: idle } = r;
  const n = s.n;
  const { bareRate, rpcsRate, oursSend, doneInPhase, oursDone, oursFollowed, followRate } = k;
  return [
    `- send: ours ${int(oursSend)} payouts/s against ${int(bareRate)}/s bare (${x(oursSend, bareRate)}) and` +
      ` ${int(rpcsRate)}/s with the worker's RPCs (${x(oursSend, rpcsRate)}): per payout ${ms(1000 / oursSend)}` +
      ` against ${ms(1000 / bareRate)} and ${ms(1000 / rpcsRate)}: ${ms(1000 / oursSend - 1000 / rpcsRate)} more per` +
      ` payout than the same RPCs alone. Of a payout's ${ms(1000 / oursSend)}, send() took` +
      ` ${ms(stepMs(sendPhase, 'send') / n)} (its DB transactions ${ms((stepMs(sendPhase, 'store.recordSigned') + stepMs(sendPhase, 'store.markBroadcast')) / n)})` +
      ` and follow() — the passes re-reading every open transaction — ${ms(stepMs(sendPhase, 'follow') / n)}`,
    `- complete: ours ${int(oursDone)} completions/s (${int(doneInPhase)} in ${f2(completePhase.seconds)} s), following` +
      ` ${int(lookups(completePhase))} open transactions at ${int(oursFollowed)}/s against ${int(followRate)} lookups/s` +
      ` for the bare receipt + eth_blockNumber loop (${x(oursFollowed, followRate)}); the ledger postings ran beside` +
      ` the lookups`,
    `- a pass after everything was completed (nothing to send or complete): ${ms(idle.passMs)}, ${int(idle.passes[0]?.open ?? 0)}` +
      ` "open" transactions followed, ${int(oursCalls(idle))} RPCs, ${int(idle.statements)} SQL statements,` +
      ` ${int(idle.ledger.items)} ledger items posted (${int(idle.events['payout.completed'] ?? 0)} payout.completed written)`,
    `- SQL statements sent by the passes: send ${int(sendPhase.statements)} = ${f2(sendPhase.statements / n)} per` +
      ` payout, ${int(sendPhase.commits)} of them COMMIT (${f2(sendPhase.commits / n)} per payout); complete` +
      ` ${int(completePhase.statements)} = ${f2(completePhase.statements / n)} per payout, ${int(completePhase.commits)}` +
      ` COMMIT; ledger batches in the complete phase: ${int(completePhase.ledger.batches)} carrying` +
      ` ${int(completePhase.ledger.items)} items`,
    `- events written: send phase ${fmt(sendPhase.events)} (${f2((sendPhase.events['withdrawal.updated'] ?? 0) / n)}` +
      ` withdrawal.updated per payout); complete phase ${fmt(completePhase.events)}`,
  ];
}

/** Where the send phase's time went, its chain, passes, CPU and (PAYOUTS_CPU_PROF) profile. */
function sendPhaseLines(r: Run): string[] {
  const { s, sendPhase } = r;
  return [
    `send phase, where the time went (timers around the processor's methods, wall time; ${sendPhase.passes.length}` +
      ` passes, ${f2(sendPhase.passMs / 1000)} s inside tick()):`,
    '',
    ...stepTable(sendPhase),
    '',
    `- ${splitLine(sendPhase)}`,
    `- ${rpcLine(sendPhase, s.n, 'payout')}`,
    `- ${nodeLine(sendPhase.timers)}`,
    `- chain during the send phase (one block every ${int(s.blockMs)} ms): ${blocksLine(sendPhase.blocks)}`,
    `- passes (sent/completed/open at the start/seconds/DB s/RPC s): ${passesLine(sendPhase)}`,
    `- send ${cpuLine(sendPhase.cpu)}`,
    '',
    ...profileLines(sendPhase.profile),
  ];
}

/** Where the complete phase's time went, its passes and CPU. */
function completePhaseLines(r: Run): string[] {
  const { s, completePhase } = r;
  return [
    `complete phase (${r.confirmBlocks} blocks mined at once first; ${completePhase.passes.length} passes,` +
      ` ${f2(completePhase.passMs / 1000)} s inside tick()):`,
    '',
    ...stepTable(completePhase),
    '',
    `- ${splitLine(completePhase)}`,
    `- ${rpcLine(completePhase, s.n, 'completion')}`,
    `- ${nodeLine(completePhase.timers)}`,
    `- passes (sent/completed/open at the start/seconds/DB s/RPC s): ${passesLine(completePhase)}`,
    `- complete ${cpuLine(completePhase.cpu)}`,
  ];
}

/** Each baseline's RPCs, chain, node work and CPU. */
function baselineLines(r: Run): string[] {
  const { bare, rpcs, follow } = r;
  return [
    `- baseline bare: RPCs ${fmt(bare.rpcCalls)}; chain: ${blocksLine(bare.blocks)}`,
    `  ${nodeLine(bare.node)}`,
    `  ${cpuLine(bare.cpu)}`,
    `- baseline with the worker's RPCs: RPCs ${fmt(rpcs.rpcCalls)}; chain: ${blocksLine(rpcs.blocks)}`,
    `  ${nodeLine(rpcs.node)}`,
    `  ${cpuLine(rpcs.cpu)}`,
    `- baseline lookups: ${int(follow.mined)} of ${int(follow.n)} found mined with ≥ ${CONFIRMATIONS} confirmations`,
    `  ${nodeLine(follow.node)}`,
    `  ${cpuLine(follow.cpu)}`,
  ];
}

/** The set-up, the checks of the outcome (withdrawals, nonces, recipients, ledger), the app's log and stop. */
function setUpAndCheckLines(r: Run): string[] {
  const n = r.s.n;
  const c = r.checks;
  return [
    `- set-up (not timed): ${int(n)} users credited ${CREDIT_STARS} Stars (ledger.adjust) in ${f2(r.setup.seconds.credit)} s,` +
      ` ${int(n)} withdrawals of ${WITHDRAW_STARS} Stars on ${NETWORK} created (WithdrawalsService.create) in` +
      ` ${f2(r.setup.seconds.create)} s and approved (WithdrawalsService.approve, actor admin:bench) in` +
      ` ${f2(r.setup.seconds.approve)} s, ${SETUP_CONCURRENCY} at a time; then VACUUM ANALYZE and a checkpoint`,
    `- checks: withdrawals ${fmt(c.statuses)}; payout transactions ${fmt(c.txStatuses)}; nonces ${int(c.nonces.distinct)}` +
      ` distinct, ${c.nonces.min}-${c.nonces.max} (${c.nonces.max - c.nonces.min + 1 === n && c.nonces.distinct === n ? 'consecutive' : 'NOT consecutive'}),` +
      ` ${int(c.nonces.rawMatch)} signed transactions carry their row's nonce; the hot wallet's nonce on chain ${c.chainNonce}`,
    `- recipients: ${int(c.recipientsPaid)} of ${int(n)} hold exactly their payout (${c.paidUnits} of ${c.expectedUnits}` +
      ` USDT units; the hot wallet paid out ${c.hotTokenLeft})${c.recipientsWrong.length ? `; wrong: ${c.recipientsWrong.join('; ')}` : ''};` +
      ` baseline recipients paid: ${int(c.baselinePaid)} of ${int(c.baselineExpected)}`,
    `- ledger: payouts_in_flight ${c.inFlightStars}, sum of balances ${c.balanceSum}; events ${fmt(c.events)}` +
      ` (${int(c.unpublished)} unpublished when checked)`,
    `- scheduled passes (BullMQ start-up pass, scheduler every ${MONITOR_MS / 1000} s, the NOTIFY of each approval)` +
      ` turned away while the bench drove the passes: ${int(r.scheduled)}`,
    `- app log at warn: ${r.logLines.length ? `${r.logLines.length} lines` : 'nothing'}`,
    ...serverLogSummary(r.logLines),
    `- app and devnet stopped in ${ms(r.stopMs)}`,
  ];
}
