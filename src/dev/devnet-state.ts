import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { alive } from './embedded-state.js';

// Where a running server's in-process devnets listen: each server that starts devnets writes
// DATA_DIR/devnets/<id>.json (its pid, its database, the devnets' URLs and contracts) and removes it when it
// stops, so a CLI run on the same DATA_DIR and database (`chain rescan`) reaches the same chains. A file
// whose process is gone is ignored and removed by the next reader.

export interface TronDevnetInfo {
  url: string;
  usdtAddress: string;
  faucetPrivateKey: string;
}

export interface EvmDevnetInfo extends TronDevnetInfo {
  usdt18Address: string;
  chainId: number;
}

export interface DevnetsInfo {
  tron?: TronDevnetInfo;
  evm?: EvmDevnetInfo;
}

interface DevnetsFile extends DevnetsInfo {
  pid: number;
  databaseUrl: string;
  startedAt: number;
}

const dirOf = (dataDir: string) => resolve(dataDir, 'devnets');

/** Records this process's devnets; returns the function that removes the record (also run at exit). */
export function recordDevnets(dataDir: string, databaseUrl: string, devnets: DevnetsInfo): () => void {
  const dir = dirOf(dataDir);
  mkdirSync(dir, { recursive: true });
  const file = resolve(dir, `${process.pid}-${randomBytes(4).toString('hex')}.json`);
  const record: DevnetsFile = { pid: process.pid, databaseUrl, startedAt: Date.now(), ...devnets };
  writeFileSync(file, `${JSON.stringify(record)}\n`, { mode: 0o600 });
  const remove = () => {
    process.off('exit', remove);
    rmSync(file, { force: true });
  };
  process.on('exit', remove);
  return remove;
}

/** The devnets of the newest live server on this DATA_DIR that uses `databaseUrl`, if any. */
export function runningDevnets(dataDir: string, databaseUrl: string): DevnetsInfo | null {
  const dir = dirOf(dataDir);
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.json'));
  } catch {
    return null;
  }
  let best: DevnetsFile | null = null;
  for (const name of names) {
    let record: DevnetsFile;
    try {
      record = JSON.parse(readFileSync(resolve(dir, name), 'utf8')) as DevnetsFile;
    } catch {
      continue; // being written, or not ours
    }
    if (typeof record.pid !== 'number' || !alive(record.pid)) {
      rmSync(resolve(dir, name), { force: true });
      continue;
    }
    if (record.databaseUrl === databaseUrl && (!best || record.startedAt > best.startedAt)) best = record;
  }
  if (!best) return null;
  return { ...(best.tron ? { tron: best.tron } : {}), ...(best.evm ? { evm: best.evm } : {}) };
}
