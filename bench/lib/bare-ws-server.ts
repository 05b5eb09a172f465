import { setMaxListeners } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { useServer } from 'graphql-ws/use/ws';
import { createPubSub, createSchema, createYoga } from 'graphql-yoga';
import { WebSocketServer } from 'ws';

// The baseline of `npm run bench -- fanout`, run as its own process (`node --import tsx
// bench/lib/bare-ws-server.ts`, PORT and HOST from the environment): graphql-yoga's schema and in-process
// pub/sub (no Redis), graphql-ws on /graphql as src/http/ws.ts mounts it (same `ws` options), and nothing
// else — no authentication, no context, no error masking. POST /publish {streamId, payload} publishes one
// donation and answers once `publish` returned; GET /readyz answers 200.

interface Donation {
  id: string;
  streamId: string;
  fromUserId: string;
  toUserId: string;
  amount: string;
  description: string | null;
  metadata: Record<string, string | number | boolean> | null;
  createdAt: string;
}

// yoga's default EventTarget, with Node's "possible leak" warning at 11 listeners of one topic turned off:
// thousands of subscribers of one stream are the point here.
const eventTarget = new EventTarget();
setMaxListeners(0, eventTarget);
const pubsub = createPubSub<{ donation: [streamId: string, payload: Donation] }>({
  eventTarget: eventTarget as never,
});

const schema = createSchema({
  typeDefs: /* GraphQL */ `
    type Donation {
      id: ID!
      streamId: String!
      fromUserId: String!
      toUserId: String!
      amount: String!
      message: String
      createdAt: String!
    }
    type Query {
      ok: Boolean!
    }
    type Subscription {
      donationReceived(streamId: String!): Donation!
    }
  `,
  resolvers: {
    Query: { ok: () => true },
    Donation: { message: (d: Donation) => d.description },
    Subscription: {
      donationReceived: {
        subscribe: (_root: unknown, args: { streamId: string }) =>
          pubsub.subscribe('donation', args.streamId),
        resolve: (d: Donation) => d,
      },
    },
  },
});

const yoga = createYoga({ schema, graphqlEndpoint: '/graphql', logging: false, landingPage: false });

const MAX_BODY = 64 * 1024;

function publish(req: IncomingMessage, res: ServerResponse): void {
  const chunks: Buffer[] = [];
  let size = 0;
  req.on('data', (c: Buffer) => {
    size += c.length;
    if (size <= MAX_BODY) chunks.push(c);
  });
  req.on('end', () => {
    try {
      if (size > MAX_BODY) throw new Error('body too large');
      const { streamId, payload } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        streamId: string;
        payload: Donation;
      };
      pubsub.publish('donation', streamId, payload);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id: payload.id }));
    } catch (err) {
      res.writeHead(400, { 'content-type': 'text/plain' }).end((err as Error).message);
    }
  });
}

const server = createServer((req, res) => {
  const path = (req.url ?? '').split('?')[0];
  if (req.method === 'POST' && path === '/publish') return publish(req, res);
  if (path === '/readyz') return void res.writeHead(200).end('ready');
  return void yoga(req, res);
});

const wss = new WebSocketServer({ server, path: '/graphql', maxPayload: 64 * 1024 });
useServer({ schema }, wss);

server.listen(Number(process.env.PORT ?? 0), process.env.HOST ?? '127.0.0.1');

const stop = () => {
  for (const ws of wss.clients) ws.close(1001, 'server shutting down');
  wss.close();
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 5000).unref();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
