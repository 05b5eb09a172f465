import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// `npm ci` is the README's first command. npm (11.16+) lists at its end every dependency whose install script
// package.json's `allowScripts` does not decide, as a warning, and npm 12 skips those scripts: each package of
// the lockfile that has one is decided here, so a newcomer's install ends without warnings and behaves the same
// on the next npm.

const ROOT = join(import.meta.dirname, '..', '..');
const read = (file: string) => JSON.parse(readFileSync(join(ROOT, file), 'utf8'));

describe('install scripts', () => {
  it('package.json allowScripts decides every dependency of the lockfile that has an install script', () => {
    const lock = read('package-lock.json') as { packages: Record<string, { hasInstallScript?: boolean }> };
    const allow = (read('package.json') as { allowScripts?: Record<string, boolean> }).allowScripts ?? {};
    const withScripts = Object.entries(lock.packages)
      .filter(([path, p]) => path && p.hasInstallScript)
      .map(([path]) => path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length));
    expect(withScripts.length).toBeGreaterThan(0);
    const undecided = withScripts.filter((name) => typeof allow[name] !== 'boolean');
    expect(undecided).toEqual([]);
  });
});
