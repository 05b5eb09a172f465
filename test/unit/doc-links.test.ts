import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { docFiles } from '../helpers/doc-blocks.js';
import { ROOT } from '../helpers/process.js';

// README.md and docs/*.md link only to files of this repository, and those files (and the headings named by
// `#anchors`) exist; they do not point at documents outside it (such as ../shared/…).

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens. */
function anchors(markdown: string): Set<string> {
  const out = new Set<string>();
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (line.startsWith('```')) fenced = !fenced;
    const m = !fenced && /^#{1,6}\s+(.*)$/.exec(line);
    if (m)
      out.add(
        m[1]!
          .trim()
          .toLowerCase()
          .replace(/[^\p{L}\p{N}\s_-]/gu, '')
          .replace(/\s/g, '-'),
      );
  }
  return out;
}

/** The relative link targets of a Markdown text, outside code (fenced blocks and `spans`). */
function relativeLinks(markdown: string): string[] {
  const prose = markdown.replace(/^```[\s\S]*?^```/gm, '').replace(/`[^`\n]*`/g, '');
  return [...prose.matchAll(/\]\(([^)\s]+)\)/g)]
    .map((m) => m[1]!)
    .filter((target) => !/^[a-z][a-z0-9+.-]*:/i.test(target));
}

const files = docFiles(ROOT);

describe('links in README.md and docs/*.md', () => {
  it.each(files)('%s links only to files and headings that exist in the repository', (file) => {
    const text = readFileSync(join(ROOT, file), 'utf8');
    const broken: string[] = [];
    for (const link of relativeLinks(text)) {
      const [path, anchor] = link.split('#') as [string, string | undefined];
      const target = path ? resolve(dirname(join(ROOT, file)), decodeURI(path)) : join(ROOT, file);
      if (relative(ROOT, target).startsWith('..')) broken.push(`${link}: outside the repository`);
      else if (!existsSync(target)) broken.push(`${link}: no such file`);
      else if (anchor && statSync(target).isFile() && target.endsWith('.md')) {
        if (!anchors(readFileSync(target, 'utf8')).has(anchor)) broken.push(`${link}: no such heading`);
      }
    }
    expect(broken).toEqual([]);
    expect(text.match(/\.\.\/shared\//g) ?? [], 'mentions a document outside the repository').toEqual([]);
  });

  it('checks links of every kind (a broken file, anchor and outside path are found)', () => {
    const links = relativeLinks(
      '[a](docs/api.md) [b](https://x.y) `[c](nowhere.md)` [d](../shared/API.md#x)',
    );
    expect(links).toEqual(['docs/api.md', '../shared/API.md#x']);
    expect(anchors('# The API\n## Signing from Node.js\n```\n# not a heading\n```')).toEqual(
      new Set(['the-api', 'signing-from-nodejs']),
    );
  });
});
