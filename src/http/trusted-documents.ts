import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { usePersistedOperations } from '@graphql-yoga/plugin-persisted-operations';
import { parse } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Principal } from '../context.js';
import { AppError } from '../lib/errors.js';
import { projectPath } from '../lib/paths.js';

// Trusted documents (persisted operations): the GraphQL operations this server knows in advance, from
// manifests of document id → document text (the web pages' own, web/persisted-documents.json, and any in
// GRAPHQL_TRUSTED_DOCUMENTS). A client may send a document's id instead of its text (`documentId`, or Apollo's
// `extensions.persistedQuery.sha256Hash`), and an API key set to trusted documents only (`keys create
// --trusted-documents-only`), with the browser tokens it mints, may run nothing else: a known id, or the exact
// text of a known document (graphql-ws sends text). Everyone else may still send any operation.

export const WEB_MANIFEST = projectPath('web', 'persisted-documents.json');

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** `sha256:<hex>` and a bare `<hex>` name the same document (gql.tada and codegen write the first, APQ the second). */
function normalizeId(id: string): string {
  return id.startsWith('sha256:') ? id.slice('sha256:'.length) : id;
}

export interface OperationParams {
  query?: unknown;
  documentId?: unknown;
  extensions?: unknown;
}

export class TrustedDocuments {
  private readonly byId = new Map<string, string>();
  private readonly textHashes = new Set<string>();

  /** Loads each manifest; a file that is not one stops the start with a message naming it. */
  static load(paths: (string | URL)[]): TrustedDocuments {
    const docs = new TrustedDocuments();
    for (const path of paths) {
      let manifest: unknown;
      try {
        manifest = JSON.parse(readFileSync(path, 'utf8'));
      } catch (err) {
        throw new Error(`trusted documents: cannot read ${String(path)}: ${(err as Error).message}`);
      }
      docs.add(manifest, String(path));
    }
    return docs;
  }

  add(manifest: unknown, source: string): void {
    if (!manifest || typeof manifest !== 'object' || Array.isArray(manifest)) {
      throw new Error(`trusted documents: ${source} must be a JSON object of document id → document text`);
    }
    for (const [id, text] of Object.entries(manifest)) {
      if (typeof text !== 'string') throw new Error(`trusted documents: ${source}: ${id} is not a document`);
      parse(text); // a document that does not parse is a broken manifest, found at start-up
      this.byId.set(normalizeId(id), text);
      this.textHashes.add(sha256(text));
    }
  }

  get size(): number {
    return this.byId.size;
  }

  get(id: string): string | null {
    return this.byId.get(normalizeId(id)) ?? null;
  }

  /** The id a request names its document by, if any. */
  static idOf(p: OperationParams): string | null {
    if (typeof p.documentId === 'string') return p.documentId;
    const pq = (p.extensions as { persistedQuery?: { sha256Hash?: unknown } } | null | undefined)
      ?.persistedQuery;
    return typeof pq?.sha256Hash === 'string' ? pq.sha256Hash : null;
  }

  /**
   * The exact text of a known document, or (without a text) a known document id. A text is what runs when
   * both are sent (yoga's plugin executes it), so a known id cannot carry another text past this check.
   */
  knows(p: OperationParams): boolean {
    if (typeof p.query === 'string' && p.query !== '') return this.textHashes.has(sha256(p.query));
    const id = TrustedDocuments.idOf(p);
    return id !== null && this.get(id) !== null;
  }

  /** Refuses an operation that is not a trusted document when the credential runs only those. */
  check(principal: Principal, p: OperationParams): void {
    if (!trustedOnly(principal) || this.knows(p)) return;
    throw new AppError(
      'forbidden',
      'This credential runs only trusted documents: send the documentId of a known operation (or its exact text)',
    );
  }

  /** Yoga's persisted-operations plugin over these manifests: ids resolve, any text still passes here. */
  plugin(): Plugin {
    return usePersistedOperations({
      allowArbitraryOperations: true,
      // Yoga's GET parser keeps only query, variables, operationName and extensions: read documentId there.
      extractPersistedOperationId: (params, request) =>
        TrustedDocuments.idOf(params as OperationParams) ??
        (request.method === 'GET' ? new URL(request.url).searchParams.get('documentId') : null),
      getPersistedOperation: (id) => this.get(id),
      customErrors: {
        notFound: {
          message: 'The documentId names no trusted document of this server',
          extensions: { code: 'invalid_request', http: { status: 400 } },
        },
        keyNotFound: {
          message: 'Send a query (or the documentId of a trusted document)',
          extensions: { code: 'invalid_request', http: { status: 400 } },
        },
      },
    });
  }
}

export function trustedOnly(p: Principal): boolean {
  return (
    (p.kind === 'merchant' || p.kind === 'user' || p.kind === 'stream') && p.trustedDocumentsOnly === true
  );
}

/** The operation fields of a /graphql request: the JSON body of a POST, the query string of a GET. */
export function operationParams(method: string, body: unknown, query: unknown): OperationParams {
  if (method === 'POST') {
    return body && typeof body === 'object' && !Array.isArray(body) ? (body as OperationParams) : {};
  }
  const q = (query ?? {}) as Record<string, unknown>;
  let extensions: unknown = q.extensions;
  if (typeof extensions === 'string') {
    try {
      extensions = JSON.parse(extensions);
    } catch {
      extensions = undefined;
    }
  }
  return { query: q.query, documentId: q.documentId, extensions };
}
