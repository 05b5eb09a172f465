import { topicKey, topicStream } from '../src/modules/events/index.js';
import { builder } from './builder.js';
import { depositTenant } from './deposit.js';
import { type DepositProgress, progressFields } from './deposit-progress.js';

// A live message (src/modules/deposits/view.ts depositMessage), typed here as it arrives.
const DepositUpdateRef = builder.objectRef<DepositProgress & { id: string }>('DepositUpdate').implement({
  description:
    "A change of a deposit, as `depositUpdated` sends it. Not a Node: `id` is the deposit's (merge it into the Deposit).",
  fields: (t) => ({
    id: t.exposeID('id', { description: 'The deposit (`dep_…`).' }),
    ...progressFields(t),
  }),
});

builder.subscriptionField('depositUpdated', (t) =>
  t.field({
    type: DepositUpdateRef,
    description: 'Every change of a deposit: seen on chain, each new confirmation, credited, expired.',
    args: { id: t.arg.id({ required: true, description: 'The deposit (`dep_…`).' }) },
    subscribe: async (_root, args, ctx) => {
      const id = String(args.id);
      const tenant = depositTenant(ctx, id);
      // A key's subscription names a deposit of its merchant that exists (not_found otherwise), as
      // withdrawalUpdated does: any text was taken, so a typo never heard anything, and a 64 KB id was a topic.
      // A deposit token is minted for its one deposit (depositTenant checked that it is this one).
      if (ctx.principal.kind === 'merchant') await ctx.services.deposits.row(tenant, id);
      return topicStream(
        ctx.services.pubsub,
        'deposit',
        topicKey(tenant.merchantId, tenant.mode, id),
      ) as never;
    },
    resolve: (m) => m as never,
  }),
);
