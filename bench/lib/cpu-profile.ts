import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { REPO_ROOT } from './proc.js';

// A V8 CPU profile of one phase of an in-process benchmark (node:inspector on our own thread), and a
// summary of where its samples landed: by part of the code (self time) and by function of this repository
// (inclusive time: a function counts once per sample whose stack holds it).

interface CallFrame {
  functionName: string;
  url: string;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

export interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export async function startProfiler(): Promise<() => Promise<CpuProfile>> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 500 });
  await session.post('Profiler.start');
  return async () => {
    const { profile } = (await session.post('Profiler.stop')) as { profile: CpuProfile };
    session.disconnect();
    return profile;
  };
}

export function saveProfile(profile: CpuProfile, path: string): void {
  writeFileSync(path, JSON.stringify(profile));
}

const PARTS: [RegExp, string][] = [
  [/^\((idle)\)$/, 'idle (waiting for I/O: PostgreSQL, Redis)'],
  [/^\(garbage collector\)$/, 'garbage collector'],
  [/^\(program\)$/, 'V8/native (program)'],
  [/src\/devnet\//, 'devnet (node simulator: handlers, rendering)'],
  [/src\/chains\//, 'chain adapter (src/chains)'],
  [/\/jobs\//, 'scanner (jobs)'],
  [/src\/modules\/ledger\//, 'ledger (src/modules/ledger)'],
  [/src\/modules\//, 'other modules (src/modules)'],
  [/node_modules\/(tronweb|ethers|@noble|@ethersproject|bs58|elliptic|js-sha3)/, 'address/crypto libraries'],
  [/node_modules\/(pg|pg-protocol|pg-pool|pg-types)\//, 'pg driver'],
  [/node_modules\/(pino|sonic-boom)/, 'logging'],
  [/node_modules\/(ioredis|bullmq)/, 'Redis / BullMQ'],
  [/node_modules\/(@mikro-orm|knex|kysely)/, 'MikroORM'],
  [/node:internal\/deps\/undici|undici/, 'fetch (undici)'],
  [/node:_http|node:http|node:net|node:internal\/(stream|streams|http)/, 'node http/net/streams'],
  [/node_modules\//, 'other libraries'],
  [/^node:/, 'node internals'],
];

function partOf(f: CallFrame): string {
  if (f.url === '') {
    if (/^\(/.test(f.functionName)) {
      for (const [re, name] of PARTS) if (re.test(f.functionName)) return name;
    }
    if (/^(parse|stringify)$/.test(f.functionName)) return `JSON.${f.functionName}`;
    return 'V8 builtins (native)';
  }
  for (const [re, name] of PARTS) if (re.test(f.url)) return name;
  return f.url.startsWith('file://') ? 'other code' : 'node internals';
}

const shortUrl = (url: string) =>
  url.replace(`file://${REPO_ROOT}`, '').replace(/^file:\/\/.*node_modules\//, 'node_modules/');

export interface ProfileSummary {
  seconds: number;
  parts: [string, number][];
  functions: [string, number][];
}

/** Self time by part of the code; inclusive time of this repository's functions (top `top`). */
export function summarizeProfile(p: CpuProfile, top = 15): ProfileSummary {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  for (const [i, id] of p.samples.entries()) {
    const dt = (p.timeDeltas[i] ?? 0) / 1e6;
    const leaf = byId.get(id);
    if (!leaf) continue;
    const part = partOf(leaf.callFrame);
    self.set(part, (self.get(part) ?? 0) + dt);
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const f = byId.get(cur)?.callFrame;
      // this repository's code (the bench's own wrappers and meters left out)
      if (!f?.url.includes(REPO_ROOT) || /node_modules|\/bench\//.test(f.url)) continue;
      const key = `${f.functionName || '(anonymous)'} ${shortUrl(f.url)}`;
      if (seen.has(key)) continue;
      seen.add(key);
      inclusive.set(key, (inclusive.get(key) ?? 0) + dt);
    }
  }
  const sort = (m: Map<string, number>) => [...m.entries()].sort((a, b) => b[1] - a[1]);
  return {
    seconds: (p.endTime - p.startTime) / 1e6,
    parts: sort(self),
    functions: sort(inclusive).slice(0, top),
  };
}
