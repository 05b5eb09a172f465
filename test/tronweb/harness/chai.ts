/** tronweb's tests import chai's assert; vitest ships that same chai. */
export { assert, expect } from 'vitest';
