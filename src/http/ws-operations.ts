import {
  type DocumentNode,
  type ExecutionArgs,
  GraphQLError,
  type GraphQLSchema,
  getOperationAST,
  type OperationTypeNode,
  parse,
  specifiedRules,
  type ValidationRule,
  validate,
} from 'graphql';
import type { SubscribePayload } from 'graphql-ws';
import type { WebSocket } from 'ws';
import type { Context, Principal, Services } from '../context.js';
import { AppError } from '../lib/errors.js';
import { newId } from '../lib/ids.js';
import type { Authenticator } from './auth.js';
import { DocumentCache } from './document-cache.js';
import { complexityErrors } from './graphql-complexity.js';
import { documentRules } from './graphql-rules.js';
import { StorableTextRule, variablesTextError } from './storable-text.js';

// Every operation a socket sends (query, mutation or subscription) passes what the same operation passes
// over HTTP: one unit of its credential's rate limit, the document limits (depth, introspection depth,
// complexity), and variables read as HTTP reads them (numbers kept exact for the Decimal scalar). A socket
// holds at most WS_MAX_SUBSCRIPTIONS_PER_SOCKET operations at once, and all the sockets of one API key in this
// process WS_MAX_SUBSCRIPTIONS_PER_KEY. A refusal is a graphql-ws error message for that operation with
// extensions.code (rate_limited, too_many_subscriptions, invalid_request); the socket stays open.

export interface SocketState {
  principal?: Principal;
  /** The upgrade request's client address (TRUST_PROXY applied): a stream or deposit token's budget is per address. */
  address?: string;
  // The collections below are made when first needed and, but for `admitted`, dropped when empty again: a
  // socket mostly holds one subscription, and each empty Map or Set is ~0.2 KB of every socket's memory.
  /** Subscribe payloads as parsed by parseGraphqlJson, by operation id, until they are admitted. */
  exact?: Map<string, SubscribePayload>;
  /** Operations admitted and not yet complete (they count against the caps). */
  admitted?: Set<string>;
  /** Ids of the operations graphql-ws runs for this socket (queries, mutations), until they finish. */
  forwarded?: Set<string>;
  /**
   * Subscriptions being started (admitted, authorised, joined: asynchronous), by id: `completed` once a
   * `complete` for it arrived meanwhile (it is completed as soon as it has started), `ended` when it has.
   */
  starting?: Map<string, { completed: boolean; ended: Promise<void> }>;
}

/** Deletes `key` from a socket's collection, and the collection once it is empty. */
export function dropKey<K extends 'exact' | 'forwarded' | 'starting'>(
  state: SocketState,
  field: K,
  key: string,
): void {
  const c = state[field];
  if (!c) return;
  c.delete(key);
  if (c.size === 0) state[field] = undefined;
}

/** A document parsed and checked against the static rules once, however many sockets send its text. */
interface Prepared {
  document: DocumentNode;
  errors: readonly GraphQLError[];
  operation: OperationTypeNode | null;
}

interface OperationCtx {
  extra: { socket: WebSocket };
}

function refusal(err: AppError): GraphQLError[] {
  return [new GraphQLError(err.message, { extensions: { code: err.code } })];
}

export class SocketOperations {
  private readonly perKey = new Map<string, number>();
  private readonly states = new WeakMap<WebSocket, SocketState>();
  private readonly documents = new DocumentCache<Prepared>();
  private readonly rules: ValidationRule[];

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly services: Services,
    private readonly auth: Authenticator,
  ) {
    this.rules = [...specifiedRules, ...documentRules(services.config), StorableTextRule];
  }

  /** A socket's state, from its opening to its close (ws-socket-lifecycle.ts calls closed()). */
  open(socket: WebSocket): SocketState {
    const state: SocketState = {};
    this.states.set(socket, state);
    return state;
  }

  /** The socket closed: what it had admitted no longer counts against the caps. */
  closed(socket: WebSocket, state: SocketState): void {
    for (const id of [...(state.admitted ?? [])]) this.done(socket, id);
    state.exact = undefined;
  }

  state(socket: WebSocket): SocketState | undefined {
    return this.states.get(socket);
  }

  /** The operation type of a query text (null: it does not parse, or names no single operation). */
  operationOf(query: unknown, operationName?: string | null): OperationTypeNode | null {
    if (typeof query !== 'string') return null;
    const prepared = this.parsed(query);
    if (!prepared) return null;
    if (operationName) return getOperationAST(prepared.document, operationName)?.operation ?? null;
    return prepared.operation;
  }

  private parsed(query: string): Prepared | null {
    const cached = this.documents.get(query);
    if (cached) return cached;
    let document: DocumentNode;
    try {
      document = parse(query);
    } catch {
      return null;
    }
    const prepared = {
      document,
      errors: validate(this.schema, document, this.rules),
      operation: getOperationAST(document)?.operation ?? null,
    };
    this.documents.set(query, prepared);
    return prepared;
  }

  /** The socket's credential and client address, once connection_init passed. */
  setPrincipal(socket: WebSocket, principal: Principal, address: string): void {
    const state = this.states.get(socket);
    if (!state) return;
    state.principal = principal;
    state.address = address;
  }

  principal(socket: WebSocket): Principal {
    return this.states.get(socket)?.principal ?? { kind: 'anonymous' };
  }

  /** graphql-ws onSubscribe: execution arguments for an admitted operation, or the errors that refuse it. */
  async admit(
    ctx: OperationCtx,
    id: string,
    payload: SubscribePayload,
  ): Promise<ExecutionArgs | GraphQLError[]> {
    const state = this.states.get(ctx.extra.socket);
    if (!state?.principal || state.address === undefined)
      return refusal(new AppError('invalid_token', 'The socket is not authenticated'));
    const exact = state.exact?.get(id) ?? payload;
    dropKey(state, 'exact', id);
    const principal = state.principal;
    try {
      await this.auth.spend(principal, state.address);
      this.checkCaps(state, principal);
      // A key set to trusted documents only (and its tokens) sends a known document's exact text here.
      this.services.trustedDocuments.check(principal, exact);
    } catch (err) {
      if (err instanceof AppError) return refusal(err);
      throw err;
    }
    const contextValue: Context = { principal, services: this.services, requestId: newId('req') };
    const args = this.prepare(exact, contextValue);
    if (Array.isArray(args)) return args;
    state.admitted ??= new Set();
    state.admitted.add(id);
    if (principal.kind === 'merchant')
      this.perKey.set(principal.keyId, (this.perKey.get(principal.keyId) ?? 0) + 1);
    return args;
  }

  /** graphql-ws onComplete, and every operation still open when its socket closes. */
  done(socket: WebSocket, id: string): void {
    const state = this.states.get(socket);
    if (!state?.admitted?.delete(id)) return;
    const p = state.principal;
    if (p?.kind !== 'merchant') return;
    const n = (this.perKey.get(p.keyId) ?? 1) - 1;
    if (n <= 0) this.perKey.delete(p.keyId);
    else this.perKey.set(p.keyId, n);
  }

  private checkCaps(state: SocketState, principal: Principal): void {
    const { wsMaxSubscriptionsPerSocket: perSocket, wsMaxSubscriptionsPerKey: perKey } = this.services.config;
    // Counted from what was admitted (ctx.subscriptions also holds operations still waiting here).
    if ((state.admitted?.size ?? 0) >= perSocket) {
      throw new AppError(
        'too_many_subscriptions',
        `This socket already runs ${perSocket} operations, the most one socket may; complete one first`,
      );
    }
    if (principal.kind === 'merchant' && (this.perKey.get(principal.keyId) ?? 0) >= perKey) {
      throw new AppError(
        'too_many_subscriptions',
        `This API key already runs ${perKey} operations on this server's sockets, the most one key may`,
      );
    }
  }

  /** Parses and validates like the HTTP door: the same rules, plus the complexity check up front. */
  private prepare(payload: SubscribePayload, contextValue: Context): ExecutionArgs | GraphQLError[] {
    const config = this.services.config;
    if (typeof payload.query !== 'string') {
      return refusal(new AppError('invalid_request', 'The subscribe payload needs a query'));
    }
    const prepared = this.parsed(payload.query);
    if (!prepared) {
      try {
        parse(payload.query);
      } catch (err) {
        if (err instanceof GraphQLError) return [err];
        throw err;
      }
      return refusal(new AppError('invalid_request', 'The query does not parse'));
    }
    const document = prepared.document;
    const variableValues = (payload.variables ?? undefined) as Record<string, unknown> | undefined;
    // Text PostgreSQL cannot store is refused here as at the HTTP door (storable-text.ts), naming the field.
    const textError = variablesTextError(variableValues);
    if (textError) return [textError];
    // Complexity only for a valid document (it would report an unknown field a second time); measured once
    // per document and operation when no variable can change it, as over HTTP (5,000 viewers subscribing
    // with one document no longer run a validation pass each).
    let errors = prepared.errors;
    if (errors.length === 0)
      errors = complexityErrors(
        config,
        this.schema,
        document,
        { variables: variableValues, operationName: payload.operationName },
        contextValue,
      );
    if (errors.length > 0) return [...errors];
    return {
      schema: this.schema,
      document,
      operationName: payload.operationName ?? undefined,
      variableValues,
      contextValue,
    };
  }
}
