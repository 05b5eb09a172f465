import type { Context } from '../src/context.js';
import { ValidationError } from '../src/lib/errors.js';
import { opsStatus, retryAllFailed, retryJob } from '../src/ops/status.js';
import { builder } from './builder.js';

// Admin-only ops view: queue counts and failed jobs, scanner head/cursor/lag per chain, webhook backlog
// per endpoint (src/ops/status.ts). Returned as JSON: it is for dashboards and people, not for schemas.

function deps(ctx: Context) {
  if (!ctx.services.ops) throw new ValidationError('ops status is not available in this process');
  return ctx.services.ops;
}

builder.queryField('ops', (t) =>
  t.field({
    type: 'JSON',
    description:
      'Admin only: queues (counts, oldest waiting age, failed jobs), scanners (head, cursor, lag), webhook backlog.',
    authScopes: { admin: true },
    resolve: (_root, _args, ctx) => opsStatus(deps(ctx)).then((s) => JSON.parse(JSON.stringify(s))),
  }),
);

builder.mutationField('retryJob', (t) =>
  t.boolean({
    description: 'Admin only: retry one failed job.',
    authScopes: { admin: true },
    args: {
      queue: t.arg.string({ required: true, description: 'The queue name, as `ops` lists it.' }),
      jobId: t.arg.id({ required: true, description: 'The failed job, as `ops` lists it.' }),
    },
    resolve: (_root, args, ctx) => retryJob(deps(ctx), args.queue, args.jobId),
  }),
);

builder.mutationField('retryAllFailed', (t) =>
  t.int({
    description: 'Admin only: retry every failed job of a queue; answers how many.',
    authScopes: { admin: true },
    args: { queue: t.arg.string({ required: true, description: 'The queue name, as `ops` lists it.' }) },
    resolve: (_root, args, ctx) => retryAllFailed(deps(ctx), args.queue),
  }),
);
