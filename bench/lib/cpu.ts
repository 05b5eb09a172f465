import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { cpuSeconds } from './proc.js';

// Where the CPU went during a phase (Linux /proc). On a small machine everything shares the same cores, and
// other people's work on it shows up as "other": a number to read before trusting a result.

export interface CpuSplit {
  /** Average busy cores over the phase, the whole machine and each part. */
  machine: number;
  server: number;
  /** Other server processes of the phase (worker processes beside an API process). */
  workers: number;
  postgres: number;
  redis: number;
  generator: number;
  other: number;
}

/** CPU seconds of every live process with one of these command names, by pid. */
function cpuByPid(comms: string[]): Map<string, { comm: string; seconds: number }> {
  const out = new Map<string, { comm: string; seconds: number }>();
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
      if (!comms.includes(comm)) continue;
      const seconds = cpuSeconds(pid);
      if (Number.isFinite(seconds)) out.set(pid, { comm, seconds });
    } catch {} // exited meanwhile
  }
  return out;
}

function machineTicks(): { busy: number; total: number } {
  const f = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').split(/\s+/).slice(1, 9).map(Number);
  const total = f.reduce((a, b) => a + b, 0);
  return { busy: total - (f[3] ?? 0) - (f[4] ?? 0), total }; // minus idle and iowait
}

const TRACKED = ['postgres', 'redis-server'];

/**
 * Starts measuring; call the returned function at the end of the phase. PostgreSQL backends come and go
 * (pgbench opens its own and closes them before the end), so they are sampled every 250 ms: a process seen
 * first during the phase counts from zero, one that exits counts up to its last sample.
 */
export function cpuMeter(serverPid?: number, workerPids: (number | undefined)[] = []): () => CpuSplit {
  const start = performance.now();
  const ticks0 = machineTicks();
  const server0 = serverPid === undefined ? 0 : cpuSeconds(serverPid);
  const others = workerPids.filter((p): p is number => p !== undefined && p !== serverPid);
  const workers0 = others.map((p) => cpuSeconds(p));
  const gen0 = process.cpuUsage();
  const first = cpuByPid(TRACKED);
  const last = new Map(first);
  const sample = () => {
    for (const [pid, v] of cpuByPid(TRACKED)) last.set(pid, v);
  };
  const timer = setInterval(sample, 250);
  return () => {
    clearInterval(timer);
    sample();
    const wall = (performance.now() - start) / 1000;
    const ticks = machineTicks();
    const gen = process.cpuUsage(gen0);
    const used = { postgres: 0, redis: 0 };
    for (const [pid, v] of last) {
      const d = v.seconds - (first.get(pid)?.seconds ?? 0);
      if (v.comm === 'postgres') used.postgres += d;
      else used.redis += d;
    }
    const split = {
      machine: ((ticks.busy - ticks0.busy) / (ticks.total - ticks0.total || 1)) * os.availableParallelism(),
      server: serverPid === undefined ? 0 : (cpuSeconds(serverPid) - server0) / wall,
      workers: others.reduce((sum, p, i) => sum + (cpuSeconds(p) - workers0[i]!), 0) / wall,
      postgres: used.postgres / wall,
      redis: used.redis / wall,
      generator: (gen.user + gen.system) / 1e6 / wall,
    };
    const other =
      split.machine - split.server - split.workers - split.postgres - split.redis - split.generator;
    return { ...split, other: Math.max(0, other) };
  };
}

export function formatCpu(c: CpuSplit, otherLabel = 'other (kernel, other processes)'): string {
  const f = (n: number) => n.toFixed(2);
  const parts = [
    ...(c.server > 0 ? [`${c.workers > 0 ? 'API process' : 'server'} ${f(c.server)}`] : []),
    ...(c.workers > 0 ? [`worker process(es) ${f(c.workers)}`] : []),
    `PostgreSQL ${f(c.postgres)}`,
    `Redis ${f(c.redis)}`,
    ...(c.generator > 0.01 ? [`load generator ${f(c.generator)}`] : []),
    `${otherLabel} ${f(c.other)}`,
  ];
  return `CPU busy ${f(c.machine)} of ${os.availableParallelism()} cores: ${parts.join(', ')}`;
}
