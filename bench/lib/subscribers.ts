import { type ChildProcess, spawn } from 'node:child_process';
import { REPO_ROOT } from './proc.js';

// The parent's side of bench/fanout-clients.ts: N graphql-ws subscribers in their own process, driven over
// IPC one request at a time. Receive times are `performance.timeOrigin + performance.now()` in that
// process, the same clock formula as the parent's commit times (both read this machine's wall clock).

export const now = () => performance.timeOrigin + performance.now();

export interface OpenRequest {
  cmd: 'open';
  /** Socket i connects to urls[i % urls.length] (several API processes: the subscribers split). */
  urls: string[];
  /** connection_init payload. */
  connectionParams: Record<string, unknown>;
  query: string;
  n: number;
  /** Sockets being opened at once. */
  concurrency: number;
  timeoutMs: number;
}

export interface OpenResult {
  /** Sockets that got connection_ack and sent their subscribe. */
  subscribed: number;
  failed: number;
  seconds: number;
  /** Why sockets failed: "close 4401 invalid_token", "error ECONNRESET", "timeout", … */
  failures: Record<string, number>;
}

/** How many sockets received each id (and the clients that got at least one of them). */
export interface CountsResult {
  counts: number[];
  covered: number;
}

export interface IdStats {
  id: string;
  /** Sockets that received it (duplicates not counted twice). */
  count: number;
  duplicates: number;
  first: number;
  last: number;
}

export interface ReportResult {
  ids: IdStats[];
  /** Over the requested ids: how many sockets received k of them, as [k, sockets]. */
  perSocket: [number, number][];
  /** Messages that were not `next` with data for a known subscription, by kind. */
  other: Record<string, number>;
  samples: string[];
  /** Sockets closed or errored after subscribing, by close code / error code (slow readers apart). */
  closes: Record<string, number>;
  open: number;
  /** The slow readers of the slow phase: how many, still open, messages they got, how they closed. */
  slow: { sockets: number; open: number; received: number; closes: Record<string, number> };
}

export type Request =
  | OpenRequest
  | { cmd: 'counts'; ids: string[] }
  | { cmd: 'report'; ids: string[] }
  | { cmd: 'close'; timeoutMs: number }
  | { cmd: 'slow'; every: number; readMs: number; periodMs: number };

export interface Envelope {
  seq: number;
  request: Request;
}

export interface Reply {
  seq: number;
  ok: boolean;
  result?: unknown;
  error?: string;
}

export class Subscribers {
  private readonly child: ChildProcess;
  private seq = 0;
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private readonly exited: Promise<string>;
  readonly stderr: string[] = [];

  constructor() {
    this.child = spawn(process.execPath, ['--import', 'tsx', 'bench/fanout-clients.ts'], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    this.child.stderr!.on('data', (c: Buffer) => {
      for (const l of c.toString('utf8').split('\n'))
        if (l.trim() && this.stderr.length < 200) this.stderr.push(l);
    });
    this.child.on('message', (m: Reply) => {
      const w = this.waiting.get(m.seq);
      if (!w) return;
      this.waiting.delete(m.seq);
      if (m.ok) w.resolve(m.result);
      else w.reject(new Error(`fanout-clients: ${m.error}`));
    });
    this.exited = new Promise((resolve) =>
      this.child.on('exit', (code, signal) => {
        for (const w of this.waiting.values())
          w.reject(new Error(`fanout-clients exited (${code ?? signal})`));
        this.waiting.clear();
        resolve(signal ? `signal ${signal}` : `code ${code}`);
      }),
    );
    process.once('exit', this.killOnExit);
  }

  private readonly killOnExit = () => this.child.kill('SIGKILL');

  get pid(): number | undefined {
    return this.child.pid;
  }

  private call<T>(request: Request, timeoutMs: number): Promise<T> {
    const seq = ++this.seq;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(seq);
        reject(new Error(`fanout-clients: no answer to '${request.cmd}' within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.set(seq, {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v as T);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.child.send({ seq, request } satisfies Envelope);
    });
  }

  open(r: Omit<OpenRequest, 'cmd'>): Promise<OpenResult> {
    return this.call({ cmd: 'open', ...r }, r.timeoutMs + 10_000);
  }

  counts(ids: string[]): Promise<CountsResult> {
    return this.call({ cmd: 'counts', ids }, 30_000);
  }

  report(ids: string[]): Promise<ReportResult> {
    return this.call({ cmd: 'report', ids }, 30_000);
  }

  /** Makes one socket in `every` a slow reader; returns how many. */
  async makeSlow(every: number, readMs: number, periodMs: number): Promise<number> {
    return (await this.call<{ slow: number }>({ cmd: 'slow', every, readMs, periodMs }, 30_000)).slow;
  }

  /** Closes every socket (bounded), then ends the process; returns how the sockets closed and it exited. */
  async stop(): Promise<{ sockets: string; exit: string }> {
    process.off('exit', this.killOnExit);
    let sockets = 'n/a (process gone)';
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const t = performance.now();
      try {
        const r = await this.call<{ closed: number; terminated: number }>(
          { cmd: 'close', timeoutMs: 10_000 },
          20_000,
        );
        const took = ((performance.now() - t) / 1000).toFixed(1);
        sockets = `${r.closed} closed cleanly${r.terminated ? `, ${r.terminated} TERMINATED after no close within 10 s` : ''} in ${took} s`;
      } catch (err) {
        sockets = `close failed: ${(err as Error).message}`;
      }
      if (this.child.connected) this.child.disconnect(); // the child exits when its channel closes
    }
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    const exit = await this.exited;
    clearTimeout(timer);
    return { sockets, exit };
  }
}
