import type { FastifyInstance } from 'fastify';

/** Merchant docs (the OpenAPI document and its rendering). Filled in by the ops work. */
export async function registerDocs(_server: FastifyInstance): Promise<void> {}
