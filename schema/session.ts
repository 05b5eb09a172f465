import { type Context, tenantOf } from '../src/context.js';
import { ValidationError } from '../src/lib/errors.js';
import { parseStreamId, parseUserId } from '../src/lib/ids.js';
import {
  MAX_SESSION_TTL_SECONDS,
  SESSION_SCOPES,
  type SessionScope,
} from '../src/modules/merchants/index.js';
import { builder } from './builder.js';
import { enumValues } from './enums.js';
import { resultUnion } from './errors.js';

const SessionScopeEnum = builder.enumType('SessionScope', {
  description: 'What a user session token may do.',
  values: enumValues<SessionScope>({
    read: "Read the user's balance and history (`user`, `node`).",
    subscribe:
      "Subscribe to the user's live balance and transactions (`balanceUpdated`, `transactionCreated`).",
  }),
});

const TokenRef = builder.objectRef<{ token: string; expiresAt: Date }>('BrowserToken').implement({
  description:
    'A short-lived bearer token for a browser; send it as `Authorization: Bearer` or `{token}` over graphql-ws.',
  fields: (t) => ({
    token: t.exposeString('token', {
      description: 'The token (a compact JWS); keep it out of URLs you log.',
    }),
    expiresAt: t.field({
      type: 'DateTime',
      description: 'When it stops working; mint a new one before then.',
      resolve: (r) => r.expiresAt,
    }),
  }),
});

/** The key minting a token: revoking it ends the token (tokens.ts). */
function mintingKey(ctx: Context): string | undefined {
  return ctx.principal.kind === 'merchant' ? ctx.principal.keyId : undefined;
}

/** Tokens minted by a key that runs only trusted documents run only those too. */
function trusted(ctx: Context): boolean {
  return ctx.principal.kind === 'merchant' && ctx.principal.trustedDocumentsOnly === true;
}

function ttl(value: number | null | undefined, fallback: number): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < 60 || v > MAX_SESSION_TTL_SECONDS) {
    throw new ValidationError(`ttlSeconds must be from 60 to ${MAX_SESSION_TTL_SECONDS}`, 'ttlSeconds');
  }
  return v;
}

builder.mutationField('createUserSession', (t) =>
  t.field({
    type: TokenRef,
    description:
      "A token for a browser that can read one user's balance and history and subscribe to that user's events, nothing else. API keys only.",
    authScopes: { merchant: true },
    args: {
      userId: t.arg.id({ required: true, description: 'Your id for the user the token is for.' }),
      ttlSeconds: t.arg.int({
        required: false,
        description: 'Lifetime in seconds, 60 to 86400 (default 3600).',
      }),
      scopes: t.arg({
        type: [SessionScopeEnum],
        required: false,
        description: 'What the token may do; default both READ and SUBSCRIBE.',
      }),
    },
    errors: {
      types: [ValidationError],
      directResult: true,
      union: resultUnion('CreateUserSessionResult', 'The token'),
    },
    resolve: (_root, args, ctx) => {
      const userId = parseUserId(args.userId, 'userId');
      const scopes = (
        args.scopes?.length ? [...new Set(args.scopes)] : [...SESSION_SCOPES]
      ) as SessionScope[];
      const ttlSeconds = ttl(args.ttlSeconds, 3600);
      return ctx.services.tokens.issueUserSession(
        tenantOf(ctx),
        userId,
        ttlSeconds,
        scopes,
        trusted(ctx),
        mintingKey(ctx),
      );
    },
  }),
);

builder.mutationField('createStreamToken', (t) =>
  t.field({
    type: TokenRef,
    description:
      'A token for a stream widget (an OBS overlay): it can only subscribe to donationReceived of one stream. API keys only.',
    authScopes: { merchant: true },
    args: {
      streamId: t.arg.id({
        required: true,
        description: 'Your id for the stream, as transfers name it in `metadata.streamId`.',
      }),
      ttlSeconds: t.arg.int({
        required: false,
        description: 'Lifetime in seconds, 60 to 86400 (default 86400).',
      }),
    },
    errors: {
      types: [ValidationError],
      directResult: true,
      union: resultUnion('CreateStreamTokenResult', 'The token'),
    },
    resolve: (_root, args, ctx) => {
      const streamId = parseStreamId(args.streamId, 'streamId');
      return ctx.services.tokens.issueStreamToken(
        tenantOf(ctx),
        streamId,
        ttl(args.ttlSeconds, MAX_SESSION_TTL_SECONDS),
        trusted(ctx),
        mintingKey(ctx),
      );
    },
  }),
);
