import type { FastifyInstance } from 'fastify';
import type { Queues } from '../../jobs/queues.js';
import type { Services } from '../context.js';
import type { Pool } from '../db/database.js';

/** Ops surfaces (metrics, the queue dashboard). Filled in by the ops work (issue: ops and ecosystem). */
export async function registerOps(
  _server: FastifyInstance,
  _deps: { services: Services; pool: Pool; queues: Queues },
): Promise<void> {}
