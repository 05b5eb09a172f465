import type { CodegenConfig } from '@graphql-codegen/cli';

// What a frontend team runs against a live NovaPayments (docs/graphql.md): typed documents through
// @graphql-codegen/client-preset and Apollo Client's possibleTypes, introspected from the endpoint with a token
// (a user session or an admin token: production answers introspection to credentials only).
// NOVAPAY_GRAPHQL_URL and NOVAPAY_TOKEN say where and with what.
const url = process.env.NOVAPAY_GRAPHQL_URL ?? 'http://localhost:3000/graphql';

const config: CodegenConfig = {
  schema: [{ [url]: { headers: { Authorization: `Bearer ${process.env.NOVAPAY_TOKEN ?? ''}` } } }],
  documents: ['client.ts'],
  ignoreNoDocuments: false,
  generates: {
    'gql/': {
      preset: 'client',
      presetConfig: { fragmentMasking: false },
      config: {
        useTypeImports: true,
        enumsAsTypes: true,
        // Decimal is an exact decimal string (never a float); inputs may also be a number literal.
        scalars: {
          Decimal: { input: 'string | number', output: 'string' },
          DateTime: 'string',
          Metadata: 'Record<string, string | number | boolean>',
          JSON: 'unknown',
        },
      },
    },
    'possible-types.json': { plugins: ['fragment-matcher'] },
  },
};

export default config;
