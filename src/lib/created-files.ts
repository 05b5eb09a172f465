import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Logger } from './logger.js';

// Files development generates on its first start (DATA_DIR/master.key, DATA_DIR/hd-mnemonic.txt) are made
// before the app's logger exists (loadConfig) or deep in chain setup; they are noted here and logged once the
// app logs, one info line each, naming the file, never its content. Nothing is noted when a file was there.

const created: { file: string; what: string }[] = [];

/** Notes a file just written: `what` says what it holds and why to keep it. */
export function noteCreatedFile(file: string, what: string): void {
  created.push({ file, what });
}

/** Logs (and forgets) the files noted since the last call. */
export function logCreatedFiles(log: Logger): void {
  for (const { file, what } of created.splice(0)) log.info({ file }, `created ${file}: ${what}`);
}

/**
 * The text of `file`, made with `make` if there is no such file yet: written to a file of this process's own
 * and linked into place, which fails if the file exists, so processes starting at once on a new DATA_DIR
 * (a server and the CLI, the test workers) all read one text: checked, then written, each wrote its own,
 * and all but the last ran with a key or mnemonic the file no longer held.
 */
export function readOrCreate(file: string, make: () => string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  mkdirSync(dirname(file), { recursive: true });
  const text = make();
  const own = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(own, text, { mode: 0o600 });
  try {
    linkSync(own, file);
    noteCreatedFile(file, what);
    return text;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    return readFileSync(file, 'utf8');
  } finally {
    unlinkSync(own);
  }
}
