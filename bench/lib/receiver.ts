import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { now } from './subscribers.js';

// A local webhook receiver (node:http in the bench process): reads the body, parses it, answers 200 at
// once, and records when each POST arrived. Paths are /<phase>/<endpoint>; a delivery is identified by
// its endpoint and X-Webhook-Id (the server's deliveries) or X-Bench-Seq (the plain fetch baseline).

export interface Receipt {
  endpoint: string;
  /** The transfer the event is about (body.data.id), when the body has one. */
  transferId: string | null;
  /** X-Bench-Sent of a baseline POST: when the sender started it. */
  sentAt: number | null;
  at: number;
}

export interface PhaseLog {
  receipts: Receipt[];
  duplicates: number;
  unparsable: number;
  sampleBody: string | null;
  sampleHeaders: IncomingHttpHeaders | null;
}

export class Receiver {
  private server: Server | null = null;
  private readonly phases = new Map<string, PhaseLog & { keys: Set<string> }>();
  /** POSTs to a phase nobody asked for (a late or stray delivery). */
  strays = 0;
  /** POSTs to `hang-…` endpoints (left unanswered) and `fail-…` ones (answered 500). */
  hanging = 0;
  failed = 0;
  port = 0;

  async start(): Promise<number> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const at = now();
        const [, phase = '', endpoint = ''] = (req.url ?? '').split('/');
        // Faulty endpoints by name: `hang-…` never answers (the sender times out), `fail-…` answers 500.
        if (endpoint.startsWith('hang-')) {
          this.hanging++;
          return;
        }
        if (endpoint.startsWith('fail-')) {
          this.failed++;
          res.writeHead(500, { 'content-type': 'text/plain' }).end('failing on purpose');
          return;
        }
        res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
        const log = this.phases.get(phase);
        if (!log) {
          this.strays++;
          return;
        }
        const raw = Buffer.concat(chunks).toString('utf8');
        let transferId: string | null = null;
        try {
          const body = JSON.parse(raw) as { data?: { id?: unknown } };
          if (typeof body.data?.id === 'string') transferId = body.data.id;
        } catch {
          log.unparsable++;
        }
        const id = req.headers['x-bench-seq'] ?? req.headers['x-webhook-id'];
        const key = `${endpoint}:${String(id)}`;
        if (log.keys.has(key)) {
          log.duplicates++;
          return;
        }
        log.keys.add(key);
        const sent = req.headers['x-bench-sent'];
        log.receipts.push({ endpoint, transferId, sentAt: sent ? Number(sent) : null, at });
        if (!log.sampleBody) {
          log.sampleBody = raw;
          log.sampleHeaders = req.headers;
        }
      });
    });
    this.server.keepAliveTimeout = 30_000;
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(0, '127.0.0.1', () => resolve());
    });
    const addr = this.server.address();
    this.port = addr && typeof addr === 'object' ? addr.port : 0;
    return this.port;
  }

  /** Starts recording a phase: POSTs to /<phase>/… count from now on. */
  expect(phase: string): PhaseLog {
    const log = {
      receipts: [],
      duplicates: 0,
      unparsable: 0,
      sampleBody: null,
      sampleHeaders: null,
      keys: new Set<string>(),
    };
    this.phases.set(phase, log);
    return log;
  }

  url(phase: string, endpoint: number | string): string {
    return `http://127.0.0.1:${this.port}/${phase}/${endpoint}`;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }
}
