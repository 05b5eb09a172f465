import {
  type AppError,
  ForbiddenError,
  IdempotencyError,
  InsufficientFundsError,
  InvalidAddressError,
  NotFoundError,
  UnsupportedNetworkError,
  ValidationError,
} from '../src/lib/errors.js';
import { builder } from './builder.js';

// Expected failures are typed results with the same codes as the REST face (API.md "Errors").
export const ErrorInterface = builder.interfaceRef<AppError>('Error').implement({
  description: 'An expected failure. `code` is the same as the REST error code.',
  fields: (t) => ({
    code: t.exposeString('code'),
    message: t.exposeString('message'),
    param: t.exposeString('param', { nullable: true }),
    replayed: t.exposeBoolean('replayed', {
      description:
        'True when this is the stored outcome of an earlier request with the same idempotency key.',
    }),
  }),
});

for (const [cls, name, description] of [
  [ValidationError, 'ValidationError', 'The input is invalid (invalid_request, invalid_amount, same_user).'],
  [NotFoundError, 'NotFoundError', 'A user or object does not exist for this merchant and mode.'],
  [InsufficientFundsError, 'InsufficientFundsError', 'The paying user does not have enough Stars.'],
  [
    IdempotencyError,
    'IdempotencyError',
    'The idempotency key was reused with another request, or is still running.',
  ],
  [ForbiddenError, 'ForbiddenError', 'The credential may not do this.'],
  [InvalidAddressError, 'InvalidAddressError', 'The wallet address is not valid for the network.'],
  [
    UnsupportedNetworkError,
    'UnsupportedNetworkError',
    'The network is unknown, or not configured for this mode here.',
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
