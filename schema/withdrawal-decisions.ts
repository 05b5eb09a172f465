import { type Context, tenantOf } from '../src/context.js';
import { sha256 } from '../src/lib/crypto.js';
import {
  ForbiddenError,
  IdempotencyError,
  InsufficientFundsError,
  InvalidAddressError,
  NotFoundError,
  UnsupportedNetworkError,
  ValidationError,
} from '../src/lib/errors.js';
import { validateIdempotencyKey } from '../src/modules/idempotency/index.js';
import { builder } from './builder.js';
import { resultUnion } from './errors.js';
import { WithdrawalRef } from './withdrawal.js';

const CreateInput = builder.inputType('CreateWithdrawalInput', {
  description: "A new withdrawal: Stars out of a user's balance, USDT to a wallet.",
  fields: (t) => ({
    userId: t.id({ required: true, description: 'The user whose Stars are paid out.' }),
    amount: t.field({
      type: 'Decimal',
      required: true,
      description: 'Stars, held from the balance at once.',
    }),
    walletAddress: t.string({
      required: true,
      description: 'Where the USDT goes (checked for the network).',
    }),
    network: t.string({ required: true, description: 'TRC20, ERC20, BEP20 or POLYGON (as configured).' }),
  }),
});

/**
 * Admins decide for any merchant; a merchant key only with the `withdrawals:approve` scope. An admin's
 * Idempotency-Key is their own: kept apart from the merchant's keys (which share the withdrawal's tenant) and
 * from other admins', so it neither collides with nor replays anyone else's answer.
 */
async function decider(ctx: Context, id: string, key: string | null | undefined) {
  const p = ctx.principal;
  if (p.kind === 'admin') {
    if (key !== undefined && key !== null) validateIdempotencyKey(key);
    return {
      tenant: await ctx.services.withdrawals.tenantOf(id),
      actor: `admin:${p.subject}`,
      key:
        key === undefined || key === null
          ? null
          : `admin:${sha256(`${p.subject}\u0000${key}`).toString('hex')}`,
    };
  }
  if (p.kind === 'merchant' && p.scopes.includes('withdrawals:approve')) {
    return { tenant: { merchantId: p.merchantId, mode: p.mode }, actor: `key:${p.keyId}`, key };
  }
  throw new ForbiddenError(
    'Approving withdrawals needs an admin token or a key with the withdrawals:approve scope',
  );
}

const DECISION_ERRORS = {
  types: [ValidationError, NotFoundError, ForbiddenError, IdempotencyError],
  directResult: true,
};
const idArg = { required: true, description: 'The withdrawal (`pay_…`).' } as const;
const decisionKey = {
  required: false,
  description:
    'Retries with the same key get the first answer (the decision, or its refusal) instead of deciding again (1-255 printable ASCII characters).',
} as const;

builder.mutationField('createWithdrawal', (t) =>
  t.field({
    type: WithdrawalRef,
    description:
      "Holds the Stars and creates a withdrawal that waits for approval (or is approved at once below the merchant's threshold). API keys only.",
    authScopes: { merchant: true },
    args: {
      input: t.arg({ type: CreateInput, required: true, description: 'Who, how much, where to.' }),
      idempotencyKey: t.arg.string({
        required: false,
        description: 'Retries with the same key make one withdrawal (1-255 printable ASCII characters).',
      }),
    },
    errors: {
      types: [
        ValidationError,
        NotFoundError,
        InsufficientFundsError,
        IdempotencyError,
        UnsupportedNetworkError,
        InvalidAddressError,
      ],
      directResult: true,
      union: resultUnion('CreateWithdrawalResult', 'The withdrawal'),
    },
    resolve: (_root, { input, idempotencyKey }, ctx) =>
      ctx.services.withdrawals.create(tenantOf(ctx), input, idempotencyKey),
  }),
);

builder.mutationField('approveWithdrawal', (t) =>
  t.field({
    type: WithdrawalRef,
    description: 'Approves a PENDING_APPROVAL withdrawal; the payout worker then sends it.',
    args: { id: t.arg.id(idArg), idempotencyKey: t.arg.string(decisionKey) },
    errors: { ...DECISION_ERRORS, union: resultUnion('ApproveWithdrawalResult', 'The approved withdrawal') },
    resolve: async (_root, { id, idempotencyKey }, ctx) => {
      const d = await decider(ctx, id, idempotencyKey);
      return ctx.services.withdrawals.approve(d.tenant, id, d.actor, d.key);
    },
  }),
);

builder.mutationField('rejectWithdrawal', (t) =>
  t.field({
    type: WithdrawalRef,
    description: 'Rejects a PENDING_APPROVAL withdrawal and refunds the Stars.',
    args: {
      id: t.arg.id(idArg),
      reason: t.arg.string({ required: true, description: 'Why; kept in the audit trail.' }),
      idempotencyKey: t.arg.string(decisionKey),
    },
    errors: { ...DECISION_ERRORS, union: resultUnion('RejectWithdrawalResult', 'The rejected withdrawal') },
    resolve: async (_root, { id, reason, idempotencyKey }, ctx) => {
      const d = await decider(ctx, id, idempotencyKey);
      return ctx.services.withdrawals.reject(d.tenant, id, d.actor, reason, d.key);
    },
  }),
);
