import {
  type AppError,
  ConflictError,
  ForbiddenError,
  IdempotencyError,
  InsufficientFundsError,
  InvalidAddressError,
  NotFoundError,
  UnsupportedNetworkError,
  ValidationError,
} from '../src/lib/errors.js';
import { builder } from './builder.js';

// Expected failures are typed results with the same codes as the REST face (docs/api.md "Errors").
export const ErrorInterface = builder.interfaceRef<AppError>('Error').implement({
  description:
    "An expected failure, returned as a member of a mutation's result union. Select it with `... on Error { code message param }`.",
  fields: (t) => ({
    code: t.exposeString('code', {
      description:
        'The same code as the REST error body and `extensions.code`: invalid_request, invalid_amount, same_user, not_found, insufficient_funds, idempotency_key_reused, request_in_progress, conflict, forbidden, invalid_address, unsupported_network.',
    }),
    message: t.exposeString('message', { description: 'What went wrong, for a developer (English).' }),
    param: t.exposeString('param', {
      nullable: true,
      description: 'The input field to blame, such as `amount` or `metadata.deep`, when there is one.',
    }),
    replayed: t.exposeBoolean('replayed', {
      description:
        'True when this is the stored outcome of an earlier request with the same idempotency key.',
    }),
  }),
});

for (const [cls, name, description] of [
  [ValidationError, 'ValidationError', 'The input is invalid (invalid_request, invalid_amount, same_user).'],
  [NotFoundError, 'NotFoundError', 'A user or object does not exist for this merchant and mode (not_found).'],
  [
    InsufficientFundsError,
    'InsufficientFundsError',
    'The paying user does not have enough Stars (insufficient_funds).',
  ],
  [
    IdempotencyError,
    'IdempotencyError',
    'The idempotency key was used with another request (idempotency_key_reused), or that request is still running (request_in_progress).',
  ],
  [ForbiddenError, 'ForbiddenError', 'The credential may not do this (forbidden).'],
  [
    ConflictError,
    'ConflictError',
    'The object is no longer in a state that allows this, such as an unexpected payment already resolved (conflict).',
  ],
  [
    InvalidAddressError,
    'InvalidAddressError',
    'The wallet address is not valid for the network (invalid_address).',
  ],
  [
    UnsupportedNetworkError,
    'UnsupportedNetworkError',
    'The network is unknown, or not configured for this mode here (unsupported_network).',
  ],
] as const) {
  builder.objectType(cls as typeof AppError, {
    name,
    description,
    interfaces: [ErrorInterface],
    isTypeOf: (v) => v instanceof cls,
  });
}

/** Error classes every money-moving mutation can answer with. */
export const MONEY_ERRORS = [
  ValidationError,
  NotFoundError,
  InsufficientFundsError,
  IdempotencyError,
  ForbiddenError,
];

/** A result union's name and description (every union a mutation answers with is described). */
export function resultUnion(name: string, what: string) {
  return {
    name,
    description: `${what}, or one of the expected failures (select them with \`... on Error\`).`,
  };
}
