import { afterAll, afterEach, beforeAll, beforeEach, describe, it } from 'vitest';

/**
 * tronweb's tests are written for mocha: global describe/it/before/after, `function () { this.timeout(…) }`
 * and describe.skip for what upstream does not run. This maps them onto vitest. Tests listed in
 * excluded.ts are not registered at all (each with its reason in ../README.md), and neither are the ones
 * upstream skips itself.
 */

type MochaFn = (this: MochaContext) => unknown;
interface MochaContext {
  timeout(ms?: number): MochaContext;
  retries(n?: number): MochaContext;
  slow(ms?: number): MochaContext;
}

const context: MochaContext = {
  timeout: () => context,
  retries: () => context,
  slow: () => context,
};

export function installMochaGlobals(excluded: ReadonlySet<string>): void {
  // vitest may run a suite's body after its parent's has returned: each body runs with its own path set
  let current = '';
  const pathOf = (name: string) => (current ? `${current} > ${name}` : name);
  const mochaDescribe = (name: string, fn: MochaFn) => {
    const path = pathOf(name);
    if (excluded.has(path)) return;
    describe(name, async () => {
      const parent = current;
      current = path;
      try {
        await fn.call(context);
      } finally {
        current = parent;
      }
    });
  };
  const mochaIt = (name: string, fn: MochaFn) => {
    if (!excluded.has(pathOf(name))) it(name, () => fn.call(context) as Promise<void>);
  };
  const hook = (register: (fn: () => unknown) => void) => (fn: MochaFn) => register(() => fn.call(context));
  const ignore = () => undefined;
  Object.assign(globalThis, {
    describe: Object.assign(mochaDescribe, { skip: ignore, only: mochaDescribe }),
    it: Object.assign(mochaIt, { skip: ignore, only: mochaIt }),
    before: hook(beforeAll),
    after: hook(afterAll),
    beforeEach: hook(beforeEach),
    afterEach: hook(afterEach),
  });
}
