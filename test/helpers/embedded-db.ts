import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedPostgres } from '../../src/dev/embedded-postgres.js';

/**
 * An embedded PostgreSQL (src/dev/embedded-postgres.ts) in a new temporary folder, on the port of `url`
 * when free, else on any free one; `close` stops it and deletes the folder (`stop` keeps the folder). For the tests where no
 * PostgreSQL answers (global-setup.ts), and for the test of the embedded server itself.
 */
export async function startTestPostgres(url: string) {
  const root = mkdtempSync(join(tmpdir(), 'novapay-test-pg-'));
  // As root, PostgreSQL runs as another account (it refuses root), which must reach its data directory.
  chmodSync(root, 0o755);
  const dir = join(root, 'data');
  const logFile = join(root, 'postgres.log');
  try {
    const pg = await startEmbeddedPostgres({ dir, url, logFile });
    return {
      ...pg,
      dir,
      logFile,
      /** Stops the server and keeps the folder. */
      stop: pg.close,
      async close() {
        await pg.close();
        rmSync(root, { recursive: true, force: true });
      },
    };
  } catch (err) {
    rmSync(root, { recursive: true, force: true });
    throw err;
  }
}
