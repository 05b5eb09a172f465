import type { FastifyRequest } from 'fastify';
import { execute, type GraphQLError, type GraphQLSchema, getOperationAST, parse, validate } from 'graphql';
import type { Context } from '../../context.js';
import { AppError, restoreError, ValidationError } from '../../lib/errors.js';
import { IDEMPOTENCY_KEY_PATTERN } from '../../lib/ids.js';

// Each REST route runs one fixed GraphQL operation on the same schema and context as /graphql, so the
// two faces share auth, validation, errors and idempotency. Documents are parsed and validated once at
// start-up; a request costs an execute, not a parse.

export class PreparedOperation {
  private readonly document;
  private readonly operation;

  constructor(
    private readonly schema: GraphQLSchema,
    source: string,
  ) {
    this.document = parse(source);
    const errors = validate(schema, this.document);
    if (errors.length > 0) throw new Error(`REST operation does not validate: ${errors[0]!.message}`);
    this.operation = getOperationAST(this.document);
  }

  async run(ctx: Context, variables: Record<string, unknown>): Promise<Record<string, unknown>> {
    const started = performance.now();
    const result = await execute({
      schema: this.schema,
      document: this.document,
      contextValue: ctx,
      variableValues: variables,
    });
    ctx.services.ops.metrics.observeOperation(
      this.operation?.name?.value,
      this.operation?.operation ?? 'unknown',
      'rest',
      (performance.now() - started) / 1000,
    );
    if (result.errors && result.errors.length > 0) throw toAppError(result.errors[0]!);
    return result.data as Record<string, unknown>;
  }
}

function toAppError(e: GraphQLError): Error {
  const original = e.originalError;
  if (original instanceof AppError) return original;
  // Without a path the error came before execution (variable coercion): it is the caller's input.
  if (!original || !e.path) return new ValidationError(e.message);
  return original;
}

/** Throws the typed error when a union result is one of the Error types. */
export function unwrap<T>(value: unknown): T {
  const v = value as {
    __typename?: string;
    code?: string;
    message?: string;
    param?: string | null;
    replayed?: boolean;
  };
  if (v && typeof v.code === 'string' && v.__typename?.endsWith('Error')) {
    throw restoreError(
      { code: v.code, message: v.message ?? '', ...(v.param ? { param: v.param } : {}) },
      !!v.replayed,
    );
  }
  return value as T;
}

export const ERROR_FIELDS = '... on Error { code message param replayed }';

/**
 * The Idempotency-Key header: absent is null; given, it must be one 1-255 printable ASCII key (an empty or
 * repeated header is a 400, never silently "no key").
 */
export function idempotencyKeyHeader(req: FastifyRequest): string | null {
  const key = req.headers['idempotency-key'];
  if (key === undefined) return null;
  if (typeof key !== 'string')
    throw new ValidationError('Idempotency-Key may be given once', 'idempotencyKey');
  if (!IDEMPOTENCY_KEY_PATTERN.test(key)) {
    throw new ValidationError('Idempotency-Key must be 1-255 printable ASCII characters', 'idempotencyKey');
  }
  return key;
}

/** Checks query parameters: no unknown ones, each at most once. */
export function checkQuery(query: unknown, allowed: string[]): Record<string, string | undefined> {
  const q = (query ?? {}) as Record<string, string | string[]>;
  const out: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(q)) {
    if (!allowed.includes(k))
      throw new ValidationError(`Unknown query parameter '${k.slice(0, 64)}'`, k.slice(0, 64));
    if (Array.isArray(v)) throw new ValidationError(`${k} may be given once`, k);
    out[k] = v;
  }
  return out;
}

export function positiveInt(value: string | undefined, param: string, fallback: number, max: number): number {
  if (value === undefined || value === '') return fallback;
  if (!/^\d{1,9}$/.test(value) || Number(value) < 1 || Number(value) > max) {
    throw new ValidationError(`${param} must be an integer from 1 to ${max}`, param);
  }
  return Number(value);
}
