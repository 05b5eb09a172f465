import type { FastifyInstance } from 'fastify';
import type { GraphQLError, GraphQLSchema } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { type WebSocket, WebSocketServer } from 'ws';
import type { Context, Principal, Services } from '../context.js';
import { AppError } from '../lib/errors.js';
import { newId } from '../lib/ids.js';
import type { Authenticator } from './auth.js';
import { maskError } from './graphql.js';

// GraphQL subscriptions over graphql-ws on the same port and path as /graphql. The socket authenticates
// in connection_init: {token} (user session or stream token) or {apiKey, timestamp, signature}. Anything
// else closes the socket with 4401. Sockets opened with an API key close when that key is revoked.

type Extra = { socket: WebSocket; principal?: Principal };

export const CLOSE_UNAUTHORIZED = 4401;
export const CLOSE_GOING_AWAY = 1001;

export function attachSubscriptions(
  app: FastifyInstance,
  schema: GraphQLSchema,
  services: Services,
  auth: Authenticator,
) {
  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  const byKey = new Map<string, Set<WebSocket>>();

  app.server.on('upgrade', (req, socket, head) => {
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/graphql') {
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });

  async function authenticate(params: Record<string, unknown> | undefined): Promise<Principal> {
    if (params && typeof params.token === 'string') return auth.principalFromToken(params.token);
    if (params && typeof params.apiKey === 'string') {
      return auth.principalFromKeySignature(
        params.apiKey,
        String(params.timestamp ?? ''),
        String(params.signature ?? ''),
      );
    }
    throw new AppError(
      'invalid_token',
      'connection_init must carry {token} or {apiKey, timestamp, signature}',
    );
  }

  const mask = (errors: readonly GraphQLError[]) => errors.map((e) => maskError(e, services).toJSON());

  useServer<Record<string, unknown> | undefined, Extra>(
    {
      schema,
      context: (ctx): Context => ({ principal: ctx.extra.principal!, services, requestId: newId('req') }),
      onConnect: async (ctx) => {
        try {
          const principal = await authenticate(ctx.connectionParams);
          ctx.extra.principal = principal;
          if (principal.kind === 'merchant') {
            const set = byKey.get(principal.keyId) ?? new Set();
            set.add(ctx.extra.socket);
            byKey.set(principal.keyId, set);
            ctx.extra.socket.once('close', () => set.delete(ctx.extra.socket));
          }
          return true;
        } catch (err) {
          const reason = err instanceof AppError ? err.code : 'unauthorized';
          ctx.extra.socket.close(CLOSE_UNAUTHORIZED, reason);
          return false;
        }
      },
      onNext: (_ctx, _id, _payload, _args, result) => {
        if ('errors' in result && result.errors?.length) {
          return { ...result, errors: result.errors.map((e) => maskError(e, services)) };
        }
        return result;
      },
      onError: (_ctx, _id, _payload, errors) => mask(errors),
    },
    wss,
  );

  return {
    /** Closes the sockets that authenticated with a revoked key. */
    closeForKey(keyId: string): void {
      for (const ws of byKey.get(keyId) ?? []) ws.close(CLOSE_UNAUTHORIZED, 'key_revoked');
      byKey.delete(keyId);
    },
    /** On shutdown: tell every client we are going away (1001), so they reconnect elsewhere. */
    async close(): Promise<void> {
      for (const ws of wss.clients) ws.close(CLOSE_GOING_AWAY, 'server shutting down');
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
