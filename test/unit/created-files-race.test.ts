import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { devMnemonic } from '../../src/chains/hd.js';

// DATA_DIR's development files (master.key, hd-mnemonic.txt) are made by whichever process starts first on a
// new DATA_DIR. Processes starting at once (a server and the CLI, the suite's two test workers) each found
// no file and each wrote its own: all but the last ran with a key or mnemonic the file no longer held
// ("the development mnemonic in DATA_DIR does not derive TRON_XPUB" in a test worker).
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
const freshDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'novapay-created-'));
  dirs.push(d);
  return d;
};

const HD = new URL('../../src/chains/hd.ts', import.meta.url).href;

/**
 * Starts a process that loads devMnemonic, says `ready` and waits for a line on its stdin; `go` sends that line,
 * and the process then runs devMnemonic(dir) and prints the phrase.
 */
function mnemonicIn(dir: string): { ready: Promise<void>; go: () => void; phrase: Promise<string> } {
  const script = `const { devMnemonic } = await import(${JSON.stringify(HD)});
    process.stdout.write('ready\\n');
    await new Promise((go) => process.stdin.once('data', go));
    process.stdout.write(devMnemonic(${JSON.stringify(dir)}));
    `;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  let out = '';
  let onReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => {
    onReady = resolve;
  });
  child.stdout.on('data', (c: Buffer) => {
    out += c.toString('utf8');
    if (out.startsWith('ready\n')) onReady();
  });
  const phrase = new Promise<string>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve(out.slice('ready\n'.length)) : reject(new Error(`exit ${code}`)),
    );
  });
  return { ready, go: () => child.stdin.end('go\n'), phrase };
}

describe('the development files of a new DATA_DIR', () => {
  it('processes starting at once all use the one mnemonic the file holds', async () => {
    for (let round = 0; round < 3; round++) {
      const dir = freshDir();
      // Every process loaded and waiting on its stdin, then all let go at once (no start time to guess).
      const children = Array.from({ length: 6 }, () => mnemonicIn(dir));
      await Promise.all(children.map((c) => c.ready));
      for (const c of children) c.go();
      const phrases = await Promise.all(children.map((c) => c.phrase));
      const file = readFileSync(join(dir, 'hd-mnemonic.txt'), 'utf8').trim();
      expect(new Set(phrases)).toEqual(new Set([file]));
      expect(readdirSync(dir)).toEqual(['hd-mnemonic.txt']); // no temporary file left behind
    }
  }, 60_000);

  it('a file already there is read, never written again', () => {
    const dir = freshDir();
    writeFileSync(
      join(dir, 'hd-mnemonic.txt'),
      'test test test test test test test test test test test junk\n',
    );
    expect(devMnemonic(dir)).toBe('test test test test test test test test test test test junk');
    expect(devMnemonic(dir)).toBe('test test test test test test test test test test test junk');
  });
});
