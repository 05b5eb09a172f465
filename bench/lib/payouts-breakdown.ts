import type { CpuSplit } from './cpu.js';
import type { ProfileSummary } from './cpu-profile.js';
import type { NodeWork } from './payouts-baselines.js';
import type { MinedBlock } from './payouts-chain.js';
import type { Phase } from './payouts-phases.js';
import { int, ms, table } from './report.js';

// The detail lines of the payouts benchmark's report (bench/lib/payouts-report.ts): where a phase's time went
// (the steps, the wall time split between the database and the node, the RPCs, the node's own work), the
// blocks mined, the CPU and the CPU profile.

export const f2 = (n: number) => n.toFixed(2);

export function cpuLine(c: CpuSplit): string {
  const other = Math.max(0, c.machine - c.generator - c.postgres - c.redis);
  return (
    `CPU busy ${f2(c.machine)} of 2 cores: this process (app + devnet + bench, one event loop; EDR's own threads)` +
    ` ${f2(c.generator)}, PostgreSQL ${f2(c.postgres)}, Redis ${f2(c.redis)}, other (kernel, other processes) ${f2(other)}`
  );
}

export function blocksLine(blocks: MinedBlock[]): string {
  if (!blocks.length) return 'no block mined';
  const txs = blocks.map((b) => b.txs);
  const busy = blocks.filter((b) => b.txs > 0);
  return (
    `${blocks.length} blocks mined (${blocks[0]!.number}-${blocks.at(-1)!.number}), ${int(txs.reduce((a, b) => a + b, 0))}` +
    ` transactions, ${busy.length ? `${int(Math.min(...busy.map((b) => b.txs)))}-${int(Math.max(...txs))}` : '0'} per` +
    ` non-empty block, mining ${ms(blocks.reduce((a, b) => a + b.ms, 0) / blocks.length)} per block on average`
  );
}

function timerMap(p: Phase): Map<string, { calls: number; ms: number }> {
  return new Map(p.timers);
}

export const stepMs = (p: Phase, name: string) => p.timers.find(([x]) => x === name)?.[1].ms ?? 0;

interface StepRow {
  label: string;
  calls: number;
  ms: number;
}

function stepRows(p: Phase): StepRow[] {
  const m = timerMap(p);
  const g = (n: string) => m.get(n) ?? { calls: 0, ms: 0 };
  const row = (label: string, ...names: string[]): StepRow => ({
    label,
    calls: names.reduce((a, n) => a + g(n).calls, 0),
    ms: names.reduce((a, n) => a + g(n).ms, 0),
  });
  const follow = g('follow');
  const send = g('send');
  const passes = p.passes.length;
  const rows: StepRow[] = [
    row('follow: every open transaction, one at a time', 'follow'),
    row('  store.open (DB: open transactions and their withdrawals)', 'store.open'),
    row('  wallet.lookup (eth_getTransactionReceipt, + eth_blockNumber once mined)', 'wallet.lookup'),
    row('  store.markMined (DB transaction + withdrawal.updated)', 'store.markMined'),
    row(
      '  ledger.post of completePayout (batched ledger transaction, in parallel with lookups)',
      'ledger.post',
    ),
    row('wallet.balances (balanceOf per network + eth_getBalance)', 'wallet.balances'),
    row('send: new payouts, one at a time', 'send'),
    row('  store.approved + store.inFlight (DB)', 'store.approved', 'store.inFlight'),
    row('  wallet.feeCost (fee data from the 2 s cache or the node, eth_estimateGas)', 'wallet.feeCost'),
    row(
      '  wallet.prepare before that transaction (fee data, eth_estimateGas, from the caches)',
      'wallet.prepare',
    ),
    row(
      '  store.recordSigned (DB transaction: withdrawal FOR UPDATE, nonce counter FOR UPDATE, local signing, insert, update, audit, event)',
      'store.recordSigned',
    ),
    row('  wallet.broadcast (eth_sendRawTransaction)', 'wallet.broadcast'),
    row('  store.markBroadcast (DB transaction + withdrawal.updated)', 'store.markBroadcast'),
    row('store.recordBalances (DB)', 'store.recordBalances'),
    {
      label: 'rest of the pass (advisory lock and unlock, pass bookkeeping)',
      calls: passes,
      ms: p.passMs - follow.ms - send.ms - g('wallet.balances').ms - g('store.recordBalances').ms,
    },
  ];
  return rows;
}

export function stepTable(p: Phase): string[] {
  const total = p.seconds * 1000;
  return table(
    ['step', 'calls', 'seconds', 'share of the phase', 'ms per call'],
    stepRows(p).map((r) => [
      r.label,
      int(r.calls),
      f2(r.ms / 1000),
      `${((r.ms / total) * 100).toFixed(1)} %`,
      r.calls ? ms(r.ms / r.calls) : 'n/a',
    ]),
  );
}

export function splitLine(p: Phase): string {
  const m = timerMap(p);
  const db = m.get('DB (any)')?.ms ?? 0;
  const rpc = m.get('RPC (any)')?.ms ?? 0;
  const io = m.get('I/O (any)')?.ms ?? 0;
  const both = db + rpc - io;
  const pct = (x: number) => `${((x / p.passMs) * 100).toFixed(0)} %`;
  return (
    `wall time inside the passes ${f2(p.passMs / 1000)} s: a DB statement in flight ${f2(db / 1000)} s (${pct(db)}),` +
    ` an RPC in flight ${f2(rpc / 1000)} s (${pct(rpc)}), both at once ${f2(both / 1000)} s, neither (JS on the` +
    ` event loop: signing, ethers, pg protocol, bookkeeping, and waiting for the loop) ${f2((p.passMs - io) / 1000)} s` +
    ` (${pct(p.passMs - io)})`
  );
}

export function rpcLine(p: Phase, per: number, perLabel: string): string {
  const rpcs = p.timers
    .filter(([n]) => n.startsWith('rpc '))
    .sort((a, b) => b[1].ms - a[1].ms)
    .map(([n, v]) => `${n.slice(4)} ${int(v.calls)} (${f2(v.ms / 1000)} s)`);
  const total = p.timers.filter(([n]) => n.startsWith('rpc ')).reduce((a, [, v]) => a + v.calls, 0);
  return `RPCs: ${int(total)} = ${f2(total / per)} per ${perLabel}: ${rpcs.join(', ') || 'none'}`;
}

export function nodeLine(work: NodeWork): string {
  const node = work.filter(([n]) => n.startsWith('node ')).sort((a, b) => b[1].ms - a[1].ms);
  const total = node.reduce((a, [, v]) => a + v.ms, 0);
  return (
    `the node's own work (hardhat provider.request in this process, the mine loop's included): ${f2(total / 1000)} s —` +
    ` ${node
      .slice(0, 6)
      .map(([n, v]) => `${n.slice(5)} ${f2(v.ms / 1000)} s / ${int(v.calls)}`)
      .join(', ')}`
  );
}

export function profileLines(p: ProfileSummary | null): string[] {
  if (!p) return [];
  return [
    `CPU profile of the send phase (this process's main thread, ${f2(p.seconds)} s sampled, self time by part of` +
      ' the code; "scanner (jobs)" is jobs/, "other modules" includes src/modules/payouts):',
    '',
    ...table(
      ['part', 'seconds', 'share'],
      p.parts.slice(0, 14).map(([x, sec]) => [x, f2(sec), `${((sec / p.seconds) * 100).toFixed(1)} %`]),
    ),
    '',
    'functions of this repository by inclusive time:',
    '',
    ...table(
      ['function', 'seconds'],
      p.functions.map(([fn, sec]) => [`\`${fn}\``, f2(sec)]),
    ),
    '',
  ];
}

export function passesLine(p: Phase): string {
  return p.passes
    .map(
      (x) =>
        `${int(x.sent)}/${int(x.completed)}/${int(x.open)}/${f2(x.ms / 1000)}/${f2(x.dbMs / 1000)}/${f2(x.rpcMs / 1000)}`,
    )
    .join(', ');
}
