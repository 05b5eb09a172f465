import { type ChildProcess, spawn } from 'node:child_process';
import { createConnection } from 'node:net';
import { Redis } from 'ioredis';
import { testPort } from './ports.js';

/** A private redis-server (the system binary) on its own port, which a test may stop and start again. */
export async function startPrivateRedis(port = testPort()) {
  let proc: ChildProcess | null = null;
  const up = () =>
    new Promise<boolean>((resolve) => {
      const s = createConnection({ port, host: '127.0.0.1' }, () => {
        s.end();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
  const start = async () => {
    // Already running: a second redis-server could not bind the port and would exit at once, and `proc`
    // would then name that dead one, leaving the first running after the test (three stayed after each CI
    // run: instances.ts starts Redis again in afterAll in case a test left it stopped).
    if (proc && proc.exitCode === null && proc.signalCode === null) return;
    proc = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      {
        stdio: 'ignore',
      },
    );
    for (let i = 0; i < 100 && !(await up()); i++) await new Promise((r) => setTimeout(r, 50));
  };
  const stop = async () => {
    const p = proc;
    proc = null;
    if (!p || p.exitCode !== null) return;
    const exited = new Promise((r) => p.once('exit', r));
    p.kill('SIGKILL');
    await exited;
  };
  /** Loses every key, as a restart without persistence or a failover to an empty replica would. */
  const flushAll = async () => {
    const c = new Redis(`redis://127.0.0.1:${port}`, { lazyConnect: true, maxRetriesPerRequest: 1 });
    try {
      await c.connect();
      await c.flushall();
    } finally {
      c.disconnect();
    }
  };
  await start();
  return { url: `redis://127.0.0.1:${port}`, port, start, stop, flushAll };
}
