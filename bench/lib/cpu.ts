import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { cpuSeconds } from './proc.js';

// Where the CPU went during a phase (Linux /proc). On a small machine everything shares the same cores, and
// other people's work on it shows up as "other": a number to read before trusting a result. Processes that
// are neither this bench's own (it and its descendants) nor PostgreSQL or Redis are also counted apart
// (`foreign`), and so is the time the hypervisor gave this virtual machine's cores to others (`steal`, in
// /proc/stat): a phase where either was more than QUIET_LIMIT cores is marked NOT QUIET on its CPU line, and
// machineLines() (report.ts) says how many phases of the run were.

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
  /** Processes outside this bench (not it or its descendants, not PostgreSQL or Redis, not kernel threads). */
  foreign: number;
  /** The busiest of them, "comm cores" (empty when `foreign` is 0). */
  foreignTop: string;
  /** Cores the hypervisor ran something else on (steal time; part of `machine` and `other`). */
  steal: number;
}

/** Cores of processes outside the bench above which a phase was not measured on a quiet machine. */
export const QUIET_LIMIT = 0.1;

/** Every phase measured in this run that was not quiet: why, in words. */
export const notQuiet: string[] = [];
let measured = 0;
/** How many phases this run measured (cpuMeter calls ended). */
export const phasesMeasured = () => measured;

const TRACKED = ['postgres', 'redis-server'];
/** The flag of a kernel thread in /proc/<pid>/stat (include/linux/sched.h), whatever its pid namespace. */
const PF_KTHREAD = 0x00200000;

interface ProcSample {
  comm: string;
  seconds: number;
  /** postgres / redis (TRACKED), this bench's own, a kernel thread, or foreign. */
  kind: 'tracked' | 'own' | 'kernel' | 'foreign';
}

/** CPU seconds of every live process, by pid, with what it is to this bench. */
function sampleProcesses(): Map<string, ProcSample> {
  const parent = new Map<string, string>();
  const kernel = new Set<string>();
  const raw = new Map<string, { comm: string; seconds: number }>();
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      const fields = stat.slice(close + 2).split(' ');
      parent.set(pid, fields[1] ?? '0');
      if ((Number(fields[6]) & PF_KTHREAD) !== 0) kernel.add(pid);
      raw.set(pid, {
        comm: stat.slice(stat.indexOf('(') + 1, close),
        seconds: (Number(fields[11]) + Number(fields[12])) / 100,
      });
    } catch {} // exited meanwhile
  }
  const self = String(process.pid);
  const own = (pid: string) => {
    for (let p: string | undefined = pid, hops = 0; p && p !== '0' && hops < 64; p = parent.get(p), hops++)
      if (p === self) return true;
    return false;
  };
  const out = new Map<string, ProcSample>();
  for (const [pid, { comm, seconds }] of raw) {
    if (!Number.isFinite(seconds)) continue;
    const kind = TRACKED.includes(comm)
      ? 'tracked'
      : own(pid)
        ? 'own'
        : kernel.has(pid)
          ? 'kernel'
          : 'foreign';
    out.set(pid, { comm, seconds, kind });
  }
  return out;
}

function machineTicks(): { busy: number; total: number; steal: number } {
  const f = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').split(/\s+/).slice(1, 9).map(Number);
  const total = f.reduce((a, b) => a + b, 0);
  return { busy: total - (f[3] ?? 0) - (f[4] ?? 0), total, steal: f[7] ?? 0 }; // busy: minus idle and iowait
}

/** Ends a phase's measure (cpuMeter): its CPU split, the phase counted in the run's quiet line. */
export interface CpuMeterEnd {
  (): CpuSplit;
  /** Stops sampling, for a measure whose numbers are not reported: the phase is not counted, quiet or not. */
  cancel(): void;
}

/**
 * Starts measuring; call the returned function at the end of the phase (or its cancel(), for a measure
 * dropped). PostgreSQL backends come and go (pgbench opens its own and closes them before the end), so they
 * are sampled every 250 ms: a process seen first during the phase counts from zero, one that exits counts up
 * to its last sample.
 */
export function cpuMeter(serverPid?: number, workerPids: (number | undefined)[] = []): CpuMeterEnd {
  const start = performance.now();
  const ticks0 = machineTicks();
  const server0 = serverPid === undefined ? 0 : cpuSeconds(serverPid);
  const others = workerPids.filter((p): p is number => p !== undefined && p !== serverPid);
  const workers0 = others.map((p) => cpuSeconds(p));
  const gen0 = process.cpuUsage();
  const first = sampleProcesses();
  const last = new Map(first);
  const sample = () => {
    for (const [pid, v] of sampleProcesses()) last.set(pid, v);
  };
  const timer = setInterval(sample, 250);
  const end = () => {
    clearInterval(timer);
    sample();
    const wall = (performance.now() - start) / 1000;
    const ticks = machineTicks();
    const gen = process.cpuUsage(gen0);
    const used = { postgres: 0, redis: 0 };
    const foreign = new Map<string, number>();
    for (const [pid, v] of last) {
      const was = first.get(pid);
      // a pid reused by another process during the phase counts from zero
      const d = v.seconds - (was && was.comm === v.comm ? was.seconds : 0);
      if (v.kind === 'foreign') foreign.set(v.comm, (foreign.get(v.comm) ?? 0) + d / wall);
      if (v.kind !== 'tracked') continue;
      if (v.comm === 'postgres') used.postgres += d;
      else used.redis += d;
    }
    const foreignCores = [...foreign.values()].reduce((a, b) => a + b, 0);
    const foreignTop = [...foreign.entries()]
      .filter(([, c]) => c >= 0.005)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 3)
      .map(([comm, c]) => `${comm} ${c.toFixed(2)}`)
      .join(', ');
    const split = {
      machine: ((ticks.busy - ticks0.busy) / (ticks.total - ticks0.total || 1)) * os.availableParallelism(),
      steal: ((ticks.steal - ticks0.steal) / (ticks.total - ticks0.total || 1)) * os.availableParallelism(),
      server: serverPid === undefined ? 0 : (cpuSeconds(serverPid) - server0) / wall,
      workers: others.reduce((sum, p, i) => sum + (cpuSeconds(p) - workers0[i]!), 0) / wall,
      postgres: used.postgres / wall,
      redis: used.redis / wall,
      generator: (gen.user + gen.system) / 1e6 / wall,
    };
    const other =
      split.machine - split.server - split.workers - split.postgres - split.redis - split.generator;
    measured++;
    const why = noisy({ foreign: foreignCores, foreignTop, steal: split.steal });
    if (why) notQuiet.push(why);
    return { ...split, other: Math.max(0, other), foreign: foreignCores, foreignTop };
  };
  return Object.assign(end, { cancel: () => clearInterval(timer) });
}

/** Why a phase was not measured on a quiet machine, or null when it was. */
function noisy(c: Pick<CpuSplit, 'foreign' | 'foreignTop' | 'steal'>): string | null {
  const why = [
    ...(c.foreign > QUIET_LIMIT
      ? [`processes outside this bench used ${c.foreign.toFixed(2)} cores (${c.foreignTop})`]
      : []),
    ...(c.steal > QUIET_LIMIT ? [`the hypervisor took ${c.steal.toFixed(2)} cores (steal time)`] : []),
  ];
  return why.length > 0 ? why.join('; ') : null;
}

export function formatCpu(c: CpuSplit, otherLabel = 'other (kernel, other processes)'): string {
  const f = (n: number) => n.toFixed(2);
  const parts = [
    ...(c.server > 0 ? [`${c.workers > 0 ? 'API process' : 'server'} ${f(c.server)}`] : []),
    ...(c.workers > 0 ? [`worker process(es) ${f(c.workers)}`] : []),
    `PostgreSQL ${f(c.postgres)}`,
    `Redis ${f(c.redis)}`,
    ...(c.generator > 0.01 ? [`load generator ${f(c.generator)}`] : []),
    `${otherLabel} ${f(c.other)}${c.steal >= 0.01 ? ` (steal ${f(c.steal)})` : ''}`,
  ];
  const why = noisy(c);
  const quiet = why ? ` — NOT QUIET: ${why}` : '';
  return `CPU busy ${f(c.machine)} of ${os.availableParallelism()} cores: ${parts.join(', ')}${quiet}`;
}
