import { vi } from 'vitest';

/**
 * Stands in for tronweb's test helper `wait(secs)`, which sleeps while tron-quickstart produces a block
 * every 3 s. Here the wait moves the clock of the test process (Date only, timers untouched; the devnet in
 * this process reads the same clock) by the same time and produces those blocks at once: the tests see the
 * chain and the time they expect without sleeping for minutes.
 */
const BLOCK_MS = 3_000;

async function mine(): Promise<void> {
  const res = await fetch(`http://127.0.0.1:${process.env.HOST_PORT}/devnet/mine`, {
    method: 'POST',
    body: JSON.stringify({ n: 1 }),
  });
  if (!res.ok) throw new Error(`devnet control mine answered ${res.status}`);
}

export default async function wait(secs: number): Promise<void> {
  const ms = (secs || 1) * 1_000;
  const blocks = Math.max(1, Math.floor(ms / BLOCK_MS));
  for (let i = 0; i < blocks; i++) {
    vi.setSystemTime(Date.now() + Math.floor(ms / blocks));
    await mine();
  }
}
