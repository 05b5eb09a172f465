import { toStorableText } from '../../../lib/text.js';
import type { EndpointRow } from '../service.js';
import { deliveryBody, deliveryHeaders, type EventText, eventText, type SigningSecrets } from '../signing.js';
import { TARGET_REFUSED, type WebhookTargets } from '../ssrf.js';
import type { Claimed } from './store.js';

// One attempt of one delivery: the page's body (serialised once per event, signed per endpoint), the
// X-Signature header, a POST on a keep-alive pool, and what the attempt log keeps of the answer.

const SNIPPET_BYTES = 1024;
/** Answers longer than this are not read to their end (the connection is dropped instead of drained). */
const DRAIN_LIMIT_BYTES = 64 * 1024;
/** Event texts kept (the oldest go first), so each event is serialised once for all its endpoints. */
const EVENT_CACHE_MAX = 4096;
/** Endpoint URLs kept parsed. */
const URL_CACHE_MAX = 1024;

function abortOnTimeout(aborter: AbortController): void {
  aborter.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError'));
}

export interface AttemptResult {
  statusCode: number | null;
  latencyMs: number;
  snippet: string | null;
  /** null on a 2xx. */
  error: string | null;
}

/** What the attempt log says about a failed request: a refused target in words, else the error's code. */
export function attemptError(err: unknown, timeoutMs: number): string {
  const e = err as Error & { code?: string; cause?: { code?: string; message?: string } };
  const code = e.code ?? e.cause?.code;
  if (e.name === 'TimeoutError' || code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'UND_ERR_HEADERS_TIMEOUT')
    return `timeout after ${timeoutMs} ms`;
  if (code === TARGET_REFUSED) return `refused: ${e.code === TARGET_REFUSED ? e.message : e.cause?.message}`;
  return code ?? e.message;
}

async function readSnippet(body: AsyncIterable<Buffer> & { destroy(): void }): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    if (size < SNIPPET_BYTES) chunks.push(chunk);
    size += chunk.length;
    if (size > DRAIN_LIMIT_BYTES) {
      body.destroy();
      break;
    }
  }
  // The receiver's bytes, as text PostgreSQL stores: a NUL would fail the whole batch of outcomes.
  return toStorableText(Buffer.concat(chunks).subarray(0, SNIPPET_BYTES).toString('utf8'));
}

export class DeliverySender {
  private readonly events = new Map<string, EventText>();
  private readonly urls = new Map<string, URL>();

  constructor(
    private readonly targets: WebhookTargets,
    private readonly timeoutMs: number,
  ) {}

  /** The event's JSON texts, made once however many endpoints receive it. */
  private eventText(d: Claimed): EventText {
    let t = this.events.get(d.eventId);
    if (!t) {
      t = eventText(d.eventType, d.payload, d.eventCreatedAt);
      if (this.events.size >= EVENT_CACHE_MAX) this.events.delete(this.events.keys().next().value!);
      this.events.set(d.eventId, t);
    }
    return t;
  }

  /** Each endpoint URL parsed once (a worker sends to its endpoints over and over). */
  private urlOf(text: string): URL {
    let u = this.urls.get(text);
    if (!u) {
      if (this.urls.size >= URL_CACHE_MAX) this.urls.delete(this.urls.keys().next().value!);
      u = new URL(text);
      this.urls.set(text, u);
    }
    return u;
  }

  /** The page's body and our headers (docs/api.md "Webhooks", signing.ts). */
  build(d: Claimed, secrets: SigningSecrets, nowMs = Date.now()) {
    const body = deliveryBody(d.eventId, this.eventText(d), secrets.body);
    return { body, headers: deliveryHeaders(d.eventId, body, secrets.header, nowMs) };
  }

  /** Sends one attempt; never throws (a failure is in the result). */
  async send(
    d: Claimed,
    endpoint: EndpointRow,
    secrets: SigningSecrets,
    guarded: boolean,
  ): Promise<AttemptResult> {
    const { body, headers } = this.build(d, secrets);
    const started = performance.now();
    let statusCode: number | null = null;
    let snippet: string | null = null;
    let error: string | null = null;
    // An AbortController and a timer cleared at the end, not AbortSignal.timeout: Node keeps each of those
    // signals through a WeakRef and a FinalizationRegistry entry, garbage for the major GC at ~1,000/s.
    const aborter = new AbortController();
    const timer = setTimeout(abortOnTimeout, this.timeoutMs, aborter);
    try {
      const res = await this.targets.request(
        this.urlOf(endpoint.url),
        { body, headers, signal: aborter.signal },
        guarded,
      );
      statusCode = res.statusCode;
      snippet = await readSnippet(res.body);
      if (statusCode < 200 || statusCode > 299) error = `HTTP ${statusCode}`;
    } catch (err) {
      error = toStorableText(attemptError(err, this.timeoutMs));
    } finally {
      clearTimeout(timer);
    }
    return { statusCode, latencyMs: Math.round(performance.now() - started), snippet, error };
  }
}
