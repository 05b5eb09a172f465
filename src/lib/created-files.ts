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
