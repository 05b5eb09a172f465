import { readFileSync } from 'node:fs';
import os from 'node:os';
import { notQuiet, phasesMeasured, QUIET_LIMIT } from './cpu.js';
import { serverVersion } from './db.js';
import { exec } from './proc.js';

// What a result is worth depends on where it ran: every report starts with the machine and the commit.

export async function machineLines(): Promise<string[]> {
  let cpu = 'unknown CPU';
  try {
    cpu = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ?? cpu;
  } catch {}
  const memGiB = (os.totalmem() / 2 ** 30).toFixed(1);
  let commit = 'unknown';
  try {
    const head = (await exec('git', ['rev-parse', '--short', 'HEAD'])).stdout.trim();
    const dirty = (await exec('git', ['status', '--porcelain', '--untracked-files=no'])).stdout.trim();
    commit = dirty ? `${head} + uncommitted changes (${dirty.split('\n').length} files)` : head;
  } catch {}
  return [
    `- machine: nproc ${os.availableParallelism()}, ${cpu}, ${memGiB} GiB RAM, ${os.type()} ${os.release()}`,
    `- PostgreSQL ${await serverVersion()}, node ${process.version}`,
    `- commit: ${commit}`,
    `- load average when the report was printed: ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')} (other work on this machine skews every number)`,
    quietLine(),
  ];
}

/** Whether any phase of this run shared the machine with processes outside the bench (cpu.ts). */
function quietLine(): string {
  if (phasesMeasured() === 0) return '- quiet: no phase measured its CPU';
  if (notQuiet.length === 0)
    return `- quiet: in each of the ${phasesMeasured()} phases measured, processes outside this bench and the hypervisor's steal time each took at most ${QUIET_LIMIT} cores`;
  return `- **NOT QUIET**: ${notQuiet.length} of ${phasesMeasured()} phases measured (above ${QUIET_LIMIT} cores): ${notQuiet.slice(0, 3).join(' | ')}${notQuiet.length > 3 ? ' | …' : ''}; those phases' numbers are skewed, run them again on a quiet machine`;
}

export const int = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a');

export function ms(n: number): string {
  if (!Number.isFinite(n)) return 'n/a';
  return n < 10 ? `${n.toFixed(2)} ms` : `${n.toFixed(1)} ms`;
}

export function table(header: string[], rows: string[][]): string[] {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)];
}

export function statusSummary(statuses: Map<string, number>): string {
  return [...statuses.entries()]
    .sort((a, b) => b[1] - a[1])
    .map(([s, n]) => `${s}: ${int(n)}`)
    .join(', ');
}

/** Groups the server's JSON log lines by level and message: "warn ledger batch failed… ×3". */
export function serverLogSummary(lines: string[], max = 10): string[] {
  const LEVELS: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error' };
  const groups = new Map<string, number>();
  for (const l of lines) {
    let key = l.slice(0, 200);
    try {
      const j = JSON.parse(l) as { level?: number; msg?: string; err?: { message?: string } };
      const level = LEVELS[j.level ?? 0] ?? `level ${j.level}`;
      key = `${level} ${j.msg ?? ''}${j.err?.message ? `: ${j.err.message.slice(0, 160)}` : ''}`;
    } catch {}
    groups.set(key, (groups.get(key) ?? 0) + 1);
  }
  return [...groups.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, max)
    .map(([k, n]) => `  - ${k} ×${n}`);
}
