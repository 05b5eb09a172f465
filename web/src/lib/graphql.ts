import { type DocumentNode, print } from '@0no-co/graphql.web';
import type { TadaDocumentNode } from 'gql.tada';
import {
  type Client,
  type ClientOptions,
  createClient,
  type FormattedExecutionResult,
  type Sink,
  type SubscribePayload,
} from 'graphql-ws';

// The pages talk to the API only through GraphQL: over HTTP (POST /graphql) and graphql-ws on the same path.
// Every document is written with gql.tada's `graphql()` (./tada.ts), so tsc checks it against the schema and
// its result and variables are typed from it; each is a trusted document the server knows by id
// (web/persisted-documents.json, `npm run schema:print`), so HTTP requests send the id, not the text.

export { graphql, type ResultOf, type VariablesOf } from './tada';

const texts = new WeakMap<object, string>();

/** The document's text as sent: the same print the trusted-documents manifest was made from. */
export function documentText(doc: DocumentNode): string {
  let text = texts.get(doc);
  if (text === undefined) {
    text = print(doc);
    texts.set(doc, text);
  }
  return text;
}

/** An API refusal or failure, with the API's error code (invalid_token, forbidden, not_found, …). */
export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

export interface RequestAuth {
  /** Sent as Authorization: Bearer (payment page, overlay). */
  bearer?: string;
  /** Extra headers (the portal's CSRF header; its session rides in an HttpOnly cookie). */
  headers?: Record<string, string>;
}

type GraphqlBody<T> = {
  data?: T | null;
  errors?: { message: string; extensions?: { code?: string } }[];
};

/**
 * Runs one GraphQL operation; throws ApiError for refusals (which /graphql answers in GraphQL's shape, with
 * the code in extensions) and top-level GraphQL errors.
 */
export async function gql<T, V>(
  doc: TadaDocumentNode<T, V>,
  variables: V,
  auth: RequestAuth = {},
): Promise<T> {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    accept: 'application/graphql-response+json, application/json',
    ...auth.headers,
  };
  if (auth.bearer) headers.authorization = `Bearer ${auth.bearer}`;
  let res: Response;
  try {
    res = await fetch('/graphql', {
      method: 'POST',
      headers,
      body: JSON.stringify(requestBody(doc, variables)),
      credentials: 'same-origin',
      cache: 'no-store',
    });
  } catch {
    throw new ApiError('network_error', 'The server could not be reached', 0);
  }
  let body: GraphqlBody<T>;
  try {
    body = (await res.json()) as GraphqlBody<T>;
  } catch {
    throw new ApiError('internal_error', `The server answered ${res.status} without JSON`, res.status);
  }
  const first = body.errors?.[0];
  if (first) throw new ApiError(first.extensions?.code ?? 'internal_error', first.message, res.status);
  if (!body.data) throw new ApiError('internal_error', 'The server answered without data', res.status);
  return body.data;
}

/** A trusted document goes by its id (and operation name, for logs); any other by its text. */
function requestBody(doc: DocumentNode, variables: unknown) {
  const documentId = (doc as { documentId?: string }).documentId;
  if (!documentId) return { query: documentText(doc), variables };
  const op = doc.definitions.find((d) => d.kind === 'OperationDefinition');
  const operationName = op && 'name' in op ? op.name?.value : undefined;
  return { documentId, operationName, variables };
}

/** Subscribes with a typed document; returns the unsubscribe function. */
export function subscribe<T, V>(
  client: Client,
  doc: TadaDocumentNode<T, V>,
  variables: V,
  sink: Sink<{ data?: T | null }>,
): () => void {
  return client.subscribe<T>(
    { query: documentText(doc), variables: variables as Record<string, unknown> },
    sink as Sink,
  );
}

/** ws(s)://<this host>/graphql */
export function wsUrl(): string {
  const u = new URL('/graphql', window.location.href);
  u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
  return u.toString();
}

/** The close code the server uses for a refused connection_init (bad or expired token). */
export const CLOSE_UNAUTHORIZED = 4401;

export function closeInfo(e: unknown): { code: number; reason: string } | null {
  if (e && typeof e === 'object' && 'code' in e && typeof (e as { code: unknown }).code === 'number') {
    const c = e as { code: number; reason?: unknown };
    return { code: c.code, reason: typeof c.reason === 'string' ? c.reason : '' };
  }
  return null;
}

/** Exponential backoff with jitter: 0.5 s, 1 s, 2 s, … up to maxMs. */
export function backoff(maxMs = 10_000) {
  return (retries: number) =>
    new Promise<void>((resolve) => {
      const base = Math.min(maxMs, 500 * 2 ** Math.min(retries, 10));
      setTimeout(resolve, base / 2 + Math.random() * (base / 2));
    });
}

export type ConnectionState = 'connecting' | 'live' | 'reconnecting' | 'refused';

/**
 * How long a socket waits for connection_ack before it is closed (4504) and made again with the backoff. Without
 * it graphql-ws waits for ever: a socket the server accepted but never acknowledged (its connection_init check
 * stuck, a proxy holding a half-open connection) left the page on 'connecting', with no retry, for good.
 */
export const ACK_TIMEOUT_MS = 10_000;

/**
 * A graphql-ws client that reconnects for ever (with backoff) unless the server refuses the token (4401),
 * reporting its state so a page can show it. Subscriptions are resubscribed after each reconnect. A socket not
 * acknowledged within ACK_TIMEOUT_MS counts as a failed connection (retried).
 *
 * graphql-ws gives up for good on some close codes whatever `shouldRetry` says (4429 `rate_limited` or
 * `too_many_messages`, 4500, 4400, 4406, 4409, 1009, …: docs/api.md "WebSocket close codes"), ending each
 * subscription with the close as its error. A subscription ended so is made again after the same backoff,
 * which opens a new socket: an overlay left open for hours comes back after a burst of reconnects was refused.
 */
export function liveClient(
  token: string,
  onState: (s: ConnectionState, detail?: string) => void,
  extra: Partial<ClientOptions> = {},
): Client {
  let everConnected = false;
  let refused = false;
  const client = createClient({
    url: wsUrl,
    connectionParams: { token },
    lazy: false,
    keepAlive: 10_000,
    connectionAckWaitTimeout: ACK_TIMEOUT_MS,
    retryAttempts: Number.POSITIVE_INFINITY,
    shouldRetry: (e) => closeInfo(e)?.code !== CLOSE_UNAUTHORIZED,
    retryWait: backoff(),
    on: {
      connecting: () => {
        if (!refused) onState(everConnected ? 'reconnecting' : 'connecting');
      },
      connected: () => {
        everConnected = true;
        onState('live');
      },
      closed: (e) => {
        const c = closeInfo(e);
        if (c?.code === CLOSE_UNAUTHORIZED) {
          refused = true;
          onState('refused', c.reason);
        } else if (!refused) onState(everConnected ? 'reconnecting' : 'connecting');
      },
    },
    ...extra,
  });
  return resubscribing(
    client,
    (e) => closeInfo(e)?.code !== CLOSE_UNAUTHORIZED,
    extra.retryWait ?? backoff(),
  );
}

/**
 * `client`, whose subscriptions are made again (after `wait(attempt)`) when they end with an error that
 * `again` accepts (a close graphql-ws would not retry), until they are unsubscribed or the client disposed.
 */
function resubscribing(
  client: Client,
  again: (e: unknown) => boolean,
  wait: (retries: number) => Promise<void>,
): Client {
  let disposed = false;
  let attempts = 0;
  client.on('connected', () => {
    attempts = 0;
  });
  return {
    ...client,
    subscribe<Data, Extensions>(
      payload: SubscribePayload,
      sink: Sink<FormattedExecutionResult<Data, Extensions>>,
    ): () => void {
      let stopped = false;
      let stop = () => {};
      const start = () => {
        stop = client.subscribe<Data, Extensions>(payload, {
          next: (value) => sink.next(value),
          complete: () => sink.complete(),
          error: (e) => {
            if (stopped || disposed || closeInfo(e) === null || !again(e)) return sink.error(e);
            void wait(attempts++).then(() => {
              if (!stopped && !disposed) start();
            });
          },
        });
      };
      start();
      return () => {
        stopped = true;
        stop();
      };
    },
    dispose() {
      disposed = true;
      return client.dispose();
    },
  };
}
