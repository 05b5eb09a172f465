import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isAbstractType, printSchema } from 'graphql';
import { printableSchema } from './index.js';

// `npm run schema:print` writes the committed schema and Apollo Client's `possibleTypes` (which concrete types
// each union and interface can be: `... on Error` needs it); a test fails when either is stale.
export function printedSchema(): string {
  return `${printSchema(printableSchema())}\n`;
}

/** `{"possibleTypes": {"Error": ["ForbiddenError", …], …}}`, the format of @graphql-codegen/fragment-matcher. */
export function printedPossibleTypes(): string {
  const schema = printableSchema();
  const possibleTypes: Record<string, string[]> = {};
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isAbstractType(type) || type.name.startsWith('__')) continue;
    possibleTypes[type.name] = schema
      .getPossibleTypes(type)
      .map((t) => t.name)
      .sort();
  }
  return `${JSON.stringify({ possibleTypes }, null, 2)}\n`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(new URL('./schema.graphql', import.meta.url), printedSchema());
  writeFileSync(new URL('./possible-types.json', import.meta.url), printedPossibleTypes());
  console.log('wrote schema/schema.graphql and schema/possible-types.json');
}
