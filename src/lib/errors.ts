// Typed errors with the codes of docs/api.md, mapped to HTTP statuses in this one place.

export const ERROR_STATUS = {
  invalid_request: 400,
  invalid_amount: 400,
  invalid_address: 400,
  insufficient_funds: 400,
  same_user: 400,
  unsupported_network: 400,
  missing_api_key: 401,
  invalid_api_key: 401,
  invalid_signature: 401,
  timestamp_out_of_range: 401,
  invalid_token: 401,
  ip_not_allowed: 403,
  forbidden: 403,
  not_found: 404,
  /** A known path asked with a method it does not take; `Allow` lists the ones it does. */
  method_not_allowed: 405,
  idempotency_key_reused: 409,
  request_in_progress: 409,
  /** The object is no longer in a state that allows this (an unexpected payment that is already resolved). */
  conflict: 409,
  payload_too_large: 413,
  rate_limited: 429,
  /** A WebSocket holds as many operations as it (or its API key) may: complete one first. */
  too_many_subscriptions: 429,
  internal_error: 500,
  /** The instance is shutting down (a graceful stop): retry, another instance will answer. */
  service_unavailable: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly param: string | undefined;
  /** True when this is the stored outcome of an earlier request with the same idempotency key. */
  replayed = false;
  constructor(code: ErrorCode, message: string, param?: string) {
    super(message);
    this.name = 'AppError';
    this.code = code;
    this.param = param;
  }
  get status(): number {
    return ERROR_STATUS[this.code];
  }
}

export class ValidationError extends AppError {
  constructor(
    message: string,
    param?: string,
    code: 'invalid_request' | 'invalid_amount' | 'same_user' = 'invalid_request',
  ) {
    super(code, message, param);
    this.name = 'ValidationError';
  }
}

/** An id as a message shows it: whole up to 100 characters (every valid id is shorter), else its start and length. */
function shownId(id: string): string {
  return id.length <= 100 ? id : `${id.slice(0, 100)}… (${id.length} characters)`;
}

export class NotFoundError extends AppError {
  readonly resource: string;
  constructor(resource: string, id: string, param?: string) {
    super('not_found', `${resource} '${shownId(id)}' not found`, param);
    this.name = 'NotFoundError';
    this.resource = resource;
  }
}

export class InsufficientFundsError extends AppError {
  constructor(message = 'The paying user does not have enough Stars', param = 'amount') {
    super('insufficient_funds', message, param);
    this.name = 'InsufficientFundsError';
  }
}

export class IdempotencyError extends AppError {
  constructor(code: 'idempotency_key_reused' | 'request_in_progress', message: string) {
    super(code, message, 'idempotencyKey');
    this.name = 'IdempotencyError';
  }
}

export class UnsupportedNetworkError extends AppError {
  constructor(message: string, param = 'network') {
    super('unsupported_network', message, param);
    this.name = 'UnsupportedNetworkError';
  }
}

export class InvalidAddressError extends AppError {
  constructor(message: string, param = 'walletAddress') {
    super('invalid_address', message, param);
    this.name = 'InvalidAddressError';
  }
}

export class ForbiddenError extends AppError {
  constructor(message = 'This credential may not do that') {
    super('forbidden', message);
    this.name = 'ForbiddenError';
  }
}

/** The action was already taken, or the object moved on: nothing was changed (409). */
export class ConflictError extends AppError {
  constructor(message: string, param?: string) {
    super('conflict', message, param);
    this.name = 'ConflictError';
  }
}

/**
 * A dependency refused the connection before the request could use it: PostgreSQL out of connection slots,
 * starting up, or closed to connections; nothing listening; the pool could not connect in time. Nothing of the
 * request ran, so the caller may retry (503). A connection lost while in use ("Connection terminated", an
 * administrator's shutdown, a reset) is not one of these: the change may have been committed just before, and a
 * keyless request retried could run twice, so that stays a 500 whose outcome the caller must check.
 */
export function unavailableError(err: unknown): AppError | null {
  const e = err as { code?: unknown; message?: unknown } | null;
  const code = typeof e?.code === 'string' ? e.code : '';
  const message = typeof e?.message === 'string' ? e.message : '';
  if (
    code === '53300' || // too_many_connections
    code === '57P03' || // cannot_connect_now (starting up, recovering)
    (code === '55000' && /not currently accepting connections/.test(message)) || // ALLOW_CONNECTIONS false
    code === 'ECONNREFUSED' ||
    // node-postgres refusing to send on a connection it already knows is dead: the query never left.
    /timeout exceeded when trying to connect|is not queryable/.test(message)
  )
    return new AppError(
      'service_unavailable',
      'A service this request needs refused the connection (the database is busy or down); nothing was done: retry the request',
    );
  return null;
}

export interface ErrorBody {
  error: { code: ErrorCode; message: string; param?: string; requestId: string };
}

export function errorBody(code: ErrorCode, message: string, requestId: string, param?: string): ErrorBody {
  return { error: { code, message, ...(param ? { param } : {}), requestId } };
}

/** Rebuilds a typed error from its stored form (idempotent replays of a failed request). */
export function restoreError(
  e: { code: string; message: string; param?: string },
  replayed = false,
): AppError {
  const err = buildError(e);
  err.replayed = replayed;
  return err;
}

function buildError(e: { code: string; message: string; param?: string }): AppError {
  const code = (e.code in ERROR_STATUS ? e.code : 'internal_error') as ErrorCode;
  switch (code) {
    case 'insufficient_funds':
      return new InsufficientFundsError(e.message, e.param);
    case 'not_found': {
      const err = new NotFoundError('Resource', '', e.param);
      err.message = e.message;
      return err;
    }
    case 'invalid_address':
      return new InvalidAddressError(e.message, e.param);
    case 'conflict':
      return new ConflictError(e.message, e.param);
    case 'unsupported_network':
      return new UnsupportedNetworkError(e.message, e.param);
    case 'invalid_request':
    case 'invalid_amount':
    case 'same_user':
      return new ValidationError(e.message, e.param, code);
    default:
      return new AppError(code, e.message, e.param);
  }
}
