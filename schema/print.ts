import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { printSchema } from 'graphql';
import { printableSchema } from './index.js';

// `npm run schema:print` writes the committed schema; a test fails when it is stale.
export function printedSchema(): string {
  return `${printSchema(printableSchema())}\n`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(new URL('./schema.graphql', import.meta.url), printedSchema());
  console.log('wrote schema/schema.graphql');
}
