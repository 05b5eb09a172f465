/** What tronweb's tests import from its source tree (`src/lib/TransactionBuilder/…`), from the npm package. */
export { TransactionBuilder } from 'tronweb';

/** tronweb's own helper of the same name (src/lib/TransactionBuilder/helper.ts), not exported by the package. */
export function deepCopyJson<T>(json: T): T {
  return JSON.parse(JSON.stringify(json)) as T;
}
