import { type Client, createClient } from 'graphql-ws';
import WebSocket from 'ws';

export interface Subscription<T> {
  values: T[];
  errors: unknown[];
  done: Promise<void>;
  stop(): void;
}

/** A graphql-ws client over a real socket; records the close code if the server refuses it. */
export function wsClient(url: string, connectionParams: Record<string, unknown>) {
  let closeCode: number | null = null;
  const client: Client = createClient({
    url,
    webSocketImpl: WebSocket,
    connectionParams,
    retryAttempts: 0,
    lazy: true,
    on: {
      closed: (e) => {
        closeCode = (e as { code: number }).code;
      },
    },
  });
  return {
    client,
    closeCode: () => closeCode,
    subscribe<T>(query: string, variables: Record<string, unknown> = {}): Subscription<T> {
      const values: T[] = [];
      const errors: unknown[] = [];
      let stop: () => void = () => undefined;
      const done = new Promise<void>((resolve) => {
        stop = client.subscribe<T>(
          { query, variables },
          {
            next: (v) => {
              if (v.errors) errors.push(...v.errors);
              else if (v.data) values.push(v.data as T);
            },
            error: (e) => {
              errors.push(e);
              resolve();
            },
            complete: () => resolve(),
          },
        );
      });
      return { values, errors, done, stop };
    },
    dispose: () => client.dispose(),
  };
}

/**
 * Waits until a socket's earlier subscriptions are live: subscribes to `balanceUpdated` of a probe user
 * (last, so it is set up after the others) and pokes that user until an update arrives.
 */
export async function untilLive(
  c: ReturnType<typeof wsClient>,
  probeUserId: string,
  poke: () => Promise<void>,
): Promise<void> {
  const probe = c.subscribe<unknown>(`subscription { balanceUpdated(userId: "${probeUserId}") { balance } }`);
  for (let i = 0; i < 50 && probe.values.length === 0; i++) {
    await poke();
    const deadline = Date.now() + 200;
    while (probe.values.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  }
  probe.stop();
  if (probe.values.length === 0) throw new Error('subscriptions never became live');
}
