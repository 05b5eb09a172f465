import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

// The web pages type their GraphQL with gql.tada from web/src/graphql-env.d.ts, and send each operation as a
// trusted document by id (web/persisted-documents.json); `npm run schema:print` generates both, and this fails
// when either is stale.
const root = fileURLToPath(new URL('../../', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'novapay-tada-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const run = (args: string[]) =>
  promisify(execFile)(join(root, 'node_modules', '.bin', 'gql.tada'), args, { cwd: root, timeout: 60_000 });

describe('web GraphQL types and trusted documents', () => {
  it('has a committed web/src/graphql-env.d.ts that matches schema/schema.graphql', async () => {
    const out = join(dir, 'graphql-env.d.ts');
    await run(['generate-output', '-c', join(root, 'web', 'tsconfig.json'), '--output', out]);
    expect(readFileSync(join(root, 'web', 'src', 'graphql-env.d.ts'), 'utf8')).toBe(
      readFileSync(out, 'utf8'),
    );
  });

  it('has a committed web/persisted-documents.json of every page document, each id the sha256 of its text', async () => {
    const out = join(dir, 'persisted.json');
    await run(['generate-persisted', '-c', join(root, 'web', 'tsconfig.json'), '--output', out]);
    const committed = readFileSync(join(root, 'web', 'persisted-documents.json'), 'utf8');
    expect(committed).toBe(readFileSync(out, 'utf8'));
    const manifest = JSON.parse(committed) as Record<string, string>;
    for (const [id, text] of Object.entries(manifest)) {
      const want = `sha256:${createHash('sha256').update(text).digest('hex')}`;
      const name = /^\w+ (\w+)/.exec(text)?.[1];
      expect(
        id,
        `${name} changed: give its graphql.persisted() the id '${want}', then npm run schema:print`,
      ).toBe(want);
    }
    // What the pages send over graphql-ws is the text itself: the same bytes as the manifest's.
    // Imported by path: the web sources are checked by their own tsconfig (bundler resolution), not this one.
    const web = (path: string) => import(join(root, 'web', 'src', path));
    const { documentText } = await web('lib/graphql.ts');
    const pages = [
      await web('pay/documents.ts'),
      await web('overlay/documents.ts'),
      await web('portal/documents.ts'),
      await web('portal/console-documents.ts'),
      await web('portal/treasury-documents.ts'),
    ];
    const docs = pages
      .flatMap((m) => Object.values(m))
      .filter((d) => d && typeof d === 'object' && 'documentId' in d);
    expect(docs.length).toBe(Object.keys(manifest).length);
    for (const d of docs as { documentId: string }[]) {
      expect(documentText(d), d.documentId).toBe(manifest[d.documentId]);
    }
  });
});
