import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';

// Who owns the embedded servers of a DATA_DIR: DATA_DIR/embedded.json names the process that started them
// and their URLs, so a CLI run (or a second server) connects to those instead of starting its own.

export interface StateFile {
  pid: number;
  databaseUrl?: string;
  redisUrl?: string;
}

/** True when a process with this pid exists (this one, or another, even one we may not signal). */
export function alive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class StateStore {
  readonly file: string;
  constructor(dataDir: string) {
    this.file = resolve(dataDir, 'embedded.json');
  }
  /** The servers another live process on this DATA_DIR started, if any. */
  read(): StateFile | null {
    try {
      const s = JSON.parse(readFileSync(this.file, 'utf8')) as StateFile;
      return typeof s.pid === 'number' && alive(s.pid) ? s : null;
    } catch {
      return null;
    }
  }
  write(s: StateFile): void {
    writeFileSync(this.file, `${JSON.stringify(s)}\n`, { mode: 0o600 });
  }
  remove(): void {
    const s = (() => {
      try {
        return JSON.parse(readFileSync(this.file, 'utf8')) as StateFile;
      } catch {
        return null;
      }
    })();
    if (s?.pid === process.pid) rmSync(this.file, { force: true });
  }
}
