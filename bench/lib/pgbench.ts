import { createDatabase, dropDatabase } from './db.js';
import { exec } from './proc.js';

// The database-only baseline: pgbench's built-in tpcb-like script (3 UPDATEs, 1 SELECT, 1 INSERT per
// transaction) on the same PostgreSQL, with the same client count and duration as our load.

const PGBENCH = '/usr/bin/pgbench';
const CONNECT = ['-h', '127.0.0.1', '-p', '5432', '-U', 'root'];

export interface PgbenchResult {
  scale: number;
  tps: number;
  latencyAvgMs: number;
  failed: number;
  /** The command line, for the report. */
  command: string;
}

/** Parses pgbench's summary; prefers "excluding connections establishing" when both tps lines are printed. */
export function parsePgbench(out: string): { tps: number; latencyAvgMs: number; failed: number } {
  const tpsLines = [...out.matchAll(/^tps = ([\d.]+)(.*)$/gm)];
  const tpsLine = tpsLines.find((m) => /excluding/.test(m[2] ?? '')) ?? tpsLines[0];
  if (!tpsLine) throw new Error(`no "tps = " line in pgbench output:\n${out}`);
  const latency = /^latency average = ([\d.]+) ms/m.exec(out);
  const failed = /^number of failed transactions: (\d+)/m.exec(out);
  return {
    tps: Number(tpsLine[1]),
    latencyAvgMs: latency ? Number(latency[1]) : Number.NaN,
    failed: failed ? Number(failed[1]) : 0,
  };
}

export class Pgbench {
  constructor(readonly database: string) {}

  /** (Re)creates the database and loads it at `scale` (scale 1 = one branch row: every client contends on it). */
  async init(scale: number): Promise<void> {
    await dropDatabase(this.database);
    await createDatabase(this.database);
    await exec(PGBENCH, ['-i', '-s', String(scale), '-q', ...CONNECT, this.database]);
  }

  async run(scale: number, clients: number, threads: number, seconds: number): Promise<PgbenchResult> {
    const args = ['-c', String(clients), '-j', String(threads), '-M', 'prepared', '-T', String(seconds)];
    const out = await exec(PGBENCH, [...args, ...CONNECT, this.database]);
    return { scale, ...parsePgbench(out.stdout), command: `pgbench ${args.join(' ')} (scale ${scale})` };
  }

  drop(): Promise<void> {
    return dropDatabase(this.database);
  }
}
