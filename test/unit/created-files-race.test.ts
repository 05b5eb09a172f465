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

/** Runs devMnemonic(dir) in a process of its own, starting at `at` (ms since the epoch); its phrase. */
function mnemonicIn(dir: string, at: number): Promise<string> {
  const script = `const { devMnemonic } = await import(${JSON.stringify(HD)});
    while (Date.now() < ${at}) {}
    process.stdout.write(devMnemonic(${JSON.stringify(dir)}));`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString('utf8');
    });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`exit ${code}`))));
  });
}

describe('the development files of a new DATA_DIR', () => {
  it('processes starting at once all use the one mnemonic the file holds', async () => {
    for (let round = 0; round < 3; round++) {
      const dir = freshDir();
      const at = Date.now() + 3000; // every process loaded and waiting by then
      const phrases = await Promise.all(Array.from({ length: 6 }, () => mnemonicIn(dir, at)));
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
