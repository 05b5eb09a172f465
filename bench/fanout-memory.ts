import { createWriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import WebSocket from 'ws';
import { QUERY, STREAM, serverEnv, streamToken } from './fanout.js';
import { dropDatabase } from './lib/db.js';
import { adminToken, createMerchant, fundUsers, type Merchant, signedPost, userId } from './lib/fixtures.js';
import { HttpClient } from './lib/load.js';
import { freePort, log, rssKiB, sleep, startServer } from './lib/proc.js';
import { dropRedisPrefix } from './lib/redis.js';
import { Subscribers } from './lib/subscribers.js';

// `npm run bench -- fanout-memory`: what the server holds after N subscribers close (issue 14's "RSS back
// within 10 %"). One server started as the fanout bench starts it, with the inspector on, driven over the
// DevTools protocol: process.memoryUsage() before connecting, with N subscribed, after DONATIONS donations,
// then each second for SETTLE_S seconds after every socket closed (no forced GC, as the bench reads it),
// then after a forced full GC; with FANOUT_MEMORY_SNAPSHOTS=1 a heap snapshot before opening and after the
// close + GC, and the constructors whose count or size grew between them; with FANOUT_MEMORY_ALLOC=1 the
// functions that allocated most while the sockets opened (sampling heap profiler, garbage included;
// FANOUT_MEMORY_ALLOC=old: only objects that outlived the young generation, so were promoted to old space).
// FANOUT_MEMORY_N (default 5000), FANOUT_MEMORY_ROUNDS (default 1), FANOUT_MEMORY_BASELINE_GC=1 (and
// FANOUT_MEMORY_LIVE=1: a full GC with every socket subscribed, for what the sockets hold live),
// FANOUT_MEMORY_GC=async (with --expose-gc in BENCH_SERVER_NODE_ARGS).

const DB = 'novapay_bench_fanout_memory';
const REDIS_PREFIX = 'novapay-bench-fanout-memory';
const DONATIONS = 40;
const SETTLE_S = 30;

type Cdp = (method: string, params?: Record<string, unknown>) => Promise<Record<string, unknown>>;

/** A DevTools-protocol session with the process whose inspector listens on `port`. */
async function inspector(port: number, onEvent: (method: string, params: any) => void) {
  const [target] = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as {
    webSocketDebuggerUrl: string;
  }[];
  const ws = new WebSocket(target!.webSocketDebuggerUrl, { maxPayload: 1 << 30 });
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  let seq = 0;
  const waiting = new Map<number, (r: any) => void>();
  ws.on('message', (data) => {
    const m = JSON.parse(String(data));
    if (m.id !== undefined) waiting.get(m.id)?.(m.result ?? { error: m.error });
    else onEvent(m.method, m.params);
  });
  const call: Cdp = (method, params = {}) =>
    new Promise((resolve) => {
      const id = ++seq;
      waiting.set(id, resolve);
      ws.send(JSON.stringify({ id, method, params }));
    });
  return { call, close: () => ws.close() };
}

interface Sample {
  label: string;
  rss: number;
  heapTotal: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
  newSpace: number;
  oldSpace: number;
}

async function sample(call: Cdp, pid: number | undefined, label: string, gc = false): Promise<Sample> {
  if (gc) {
    await call('HeapProfiler.collectGarbage');
    await call('HeapProfiler.collectGarbage');
  }
  const r = (await call('Runtime.evaluate', {
    // With V8's new and old space as committed (the young generation grows with what survives scavenges).
    expression: `JSON.stringify({ ...process.memoryUsage(), ...Object.fromEntries(process
      .getBuiltinModule('v8').getHeapSpaceStatistics()
      .filter((x) => x.space_name === 'new_space' || x.space_name === 'old_space')
      .map((x) => [x.space_name === 'new_space' ? 'newSpace' : 'oldSpace', x.space_size])) })`,
    returnByValue: true,
  })) as { result: { value: string } };
  const m = JSON.parse(r.result.value) as Omit<Sample, 'label'>;
  const mib = (b: number) => Math.round((b / 1048576) * 10) / 10;
  const s = {
    label,
    rss: mib(rssKiB(pid) * 1024),
    heapTotal: mib(m.heapTotal),
    heapUsed: mib(m.heapUsed),
    external: mib(m.external),
    arrayBuffers: mib(m.arrayBuffers),
    newSpace: mib(m.newSpace),
    oldSpace: mib(m.oldSpace),
  };
  log(`${label}: ${JSON.stringify(s)}`);
  return s;
}

/** Count and self size by constructor (node type + name) of a .heapsnapshot file. */
async function byConstructor(path: string): Promise<Map<string, { count: number; size: number }>> {
  const snap = JSON.parse(await readFile(path, 'utf8'));
  const fields: string[] = snap.snapshot.meta.node_fields;
  const types: string[] = snap.snapshot.meta.node_types[0];
  const [iType, iName, iSize] = ['type', 'name', 'self_size'].map((f) => fields.indexOf(f));
  const out = new Map<string, { count: number; size: number }>();
  const nodes: number[] = snap.nodes;
  for (let i = 0; i < nodes.length; i += fields.length) {
    const type = types[nodes[i + iType!]!]!;
    const name = type === 'object' || type === 'closure' ? snap.strings[nodes[i + iName!]!] : `(${type})`;
    const key = `${type === 'closure' ? 'closure ' : ''}${name}`;
    const e = out.get(key) ?? { count: 0, size: 0 };
    e.count++;
    e.size += nodes[i + iSize!]!;
    out.set(key, e);
  }
  return out;
}

async function snapshot(call: Cdp, chunks: { sink: ((s: string) => void) | null }, path: string) {
  const file = createWriteStream(path);
  chunks.sink = (s) => file.write(s);
  await call('HeapProfiler.takeHeapSnapshot', { reportProgress: false });
  chunks.sink = null;
  await new Promise((resolve) => file.end(resolve));
  return byConstructor(path);
}

interface ProfileNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: ProfileNode[];
}

/** The sampling heap profile's top allocating functions (bytes allocated while sampling, live or not). */
function topAllocations(root: ProfileNode): string[] {
  const by = new Map<string, number>();
  const walk = (n: ProfileNode) => {
    const f = n.callFrame;
    const k = `${f.functionName || '(anonymous)'} ${f.url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*?\/src\//, 'src/')}:${f.lineNumber + 1}`;
    by.set(k, (by.get(k) ?? 0) + n.selfSize);
    for (const c of n.children) walk(c);
  };
  walk(root);
  const total = [...by.values()].reduce((a, b) => a + b, 0);
  return [
    `  ${String(Math.round(total / 1024)).padStart(8)} KiB  in all`,
    ...[...by]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 20)
      .map(([k, v]) => `  ${String(Math.round(v / 1024)).padStart(8)} KiB  ${k.slice(0, 110)}`),
  ];
}

function diff(before: Map<string, { count: number; size: number }>, after: typeof before): string[] {
  const rows = [...after].map(([k, a]) => {
    const b = before.get(k) ?? { count: 0, size: 0 };
    return { k, dc: a.count - b.count, ds: a.size - b.size, a };
  });
  rows.sort((x, y) => Math.abs(y.ds) - Math.abs(x.ds));
  return rows
    .slice(0, 25)
    .map(
      (r) => `  ${r.k.slice(0, 60).padEnd(60)} ${String(r.dc).padStart(8)} ${String(r.ds).padStart(11)} B`,
    );
}

/** DONATIONS donations to the stream, 50 ms apart; waits until every subscribed socket has them all. */
async function donations(http: HttpClient, m: Merchant, subs: Subscribers, subscribed: number) {
  const ids: string[] = [];
  for (let i = 0; i < DONATIONS; i++) {
    const r = await signedPost(http, m, '/api/v1/transfer', {
      fromUserId: userId(0),
      toUserId: 'bench_streamer',
      amount: 1,
      description: `memory ${i}`,
      metadata: { streamId: STREAM },
    });
    ids.push(JSON.parse(r.body).id);
    await sleep(50);
  }
  for (let t = 0; t < 120; t++) {
    if ((await subs.counts(ids)).counts.every((k) => k >= subscribed)) return;
    await sleep(250);
  }
  log('WARNING: not every socket received every donation within 30 s');
}

export async function run(_args: string[]): Promise<void> {
  const n = Number(process.env.FANOUT_MEMORY_N ?? 5000);
  const snapshots = process.env.FANOUT_MEMORY_SNAPSHOTS === '1';
  const rounds = Number(process.env.FANOUT_MEMORY_ROUNDS ?? 1);
  const env = serverEnv(DB, REDIS_PREFIX);
  await dropDatabase(DB);
  await dropRedisPrefix(REDIS_PREFIX);
  const setup = await startServer(await freePort(), env);
  let http = new HttpClient(setup.port, 4);
  const merchant = await createMerchant(env);
  await fundUsers(http, await adminToken(env), merchant.merchantId, 1, '1000000.00', 1);
  const token = await streamToken(http, merchant);
  http.close();
  await setup.stop();

  const inspectPort = await freePort();
  const flags = process.env.BENCH_SERVER_NODE_ARGS ?? '';
  process.env.BENCH_SERVER_NODE_ARGS = `${flags} --inspect=127.0.0.1:${inspectPort}`;
  const server = await startServer(await freePort(), env);
  const chunks: { sink: ((s: string) => void) | null } = { sink: null };
  const cdp = await inspector(inspectPort, (method, params) => {
    if (method === 'HeapProfiler.addHeapSnapshotChunk') chunks.sink?.(params.chunk);
  });
  http = new HttpClient(server.port, 4);
  const samples: Sample[] = [];
  try {
    await sleep(1000);
    samples.push(await sample(cdp.call, server.pid, 'before opening'));
    if (snapshots || process.env.FANOUT_MEMORY_BASELINE_GC === '1')
      samples.push(await sample(cdp.call, server.pid, 'before opening, after a full GC', true));
    const before = snapshots ? await snapshot(cdp.call, chunks, '/tmp/fanout-before.heapsnapshot') : null;
    if (snapshots) samples.push(await sample(cdp.call, server.pid, 'after the first snapshot'));
    for (let round = 1; round <= rounds; round++) {
      const r = rounds > 1 ? ` (round ${round})` : '';
      const subs = new Subscribers();
      const alloc = process.env.FANOUT_MEMORY_ALLOC;
      const sampling = (alloc === '1' || alloc === 'old') && round === 1;
      if (sampling)
        await cdp.call('HeapProfiler.startSampling', {
          samplingInterval: 4096,
          includeObjectsCollectedByMajorGC: true,
          // `old`: only what survived the young generation (what fills old space), live or garbage by now.
          includeObjectsCollectedByMinorGC: alloc !== 'old',
        });
      const open = await subs.open({
        urls: [`ws://127.0.0.1:${server.port}/graphql`],
        connectionParams: { token },
        query: QUERY,
        n,
        concurrency: 100,
        timeoutMs: 120_000,
      });
      log(`${open.subscribed} of ${n} subscribed`);
      if (sampling) {
        const p = (await cdp.call('HeapProfiler.stopSampling')) as { profile: { head: ProfileNode } };
        log(`allocated while opening, by function:\n${topAllocations(p.profile.head).join('\n')}`);
      }
      await sleep(1000);
      samples.push(await sample(cdp.call, server.pid, `${open.subscribed} subscribed${r}`));
      if (process.env.FANOUT_MEMORY_LIVE === '1')
        samples.push(
          await sample(cdp.call, server.pid, `${open.subscribed} subscribed, after a full GC${r}`, true),
        );
      await donations(http, merchant, subs, open.subscribed);
      samples.push(await sample(cdp.call, server.pid, `after ${DONATIONS} donations${r}`));
      log(`clients: ${(await subs.stop()).sockets}`);
      for (let s = 1; s <= SETTLE_S; s++) {
        await sleep(1000);
        const x = await sample(cdp.call, server.pid, `${s} s after close${r}`);
        if (s === 1 || s === 5 || s % 10 === 0) samples.push(x);
      }
    }
    if (process.env.FANOUT_MEMORY_GC === 'async') {
      // V8's gc extension (needs --expose-gc in BENCH_SERVER_NODE_ARGS): incremental marking, no long pause.
      await cdp.call('Runtime.evaluate', { expression: "gc({ type: 'major', execution: 'async' })" });
      for (let s = 1; s <= 5; s++) {
        await sleep(1000);
        samples.push(await sample(cdp.call, server.pid, `${s} s after an async major GC`));
      }
    }
    samples.push(await sample(cdp.call, server.pid, 'after close, after a full GC', true));
    await sleep(5000);
    samples.push(await sample(cdp.call, server.pid, '5 s after that GC'));
    if (before) {
      const after = await snapshot(cdp.call, chunks, '/tmp/fanout-after.heapsnapshot');
      log(
        `constructors, after close + GC minus before opening (count, self size):\n${diff(before, after).join('\n')}`,
      );
    }
    const cols = [
      'rss',
      'heapTotal',
      'newSpace',
      'oldSpace',
      'heapUsed',
      'external',
      'arrayBuffers',
    ] as const;
    const lines = [
      `| fanout-memory, N=${n} (MiB) | ${cols.join(' | ')} |`,
      `| --- | ${cols.map(() => '---').join(' | ')} |`,
      ...samples.map((s) => `| ${s.label} | ${cols.map((c) => s[c]).join(' | ')} |`),
    ];
    const gcLines = server.lines.filter((l) => /Mark-Compact|Scavenge|Mark-sweep|reduce/i.test(l));
    if (gcLines.length) process.stdout.write(`\n${gcLines.slice(-60).join('\n')}\n`);
    process.stdout.write(`\n${lines.join('\n')}\n`);
  } finally {
    http.close();
    cdp.close();
    await server.stop();
    await dropDatabase(DB).catch(() => {});
    await dropRedisPrefix(REDIS_PREFIX).catch(() => {});
  }
}
