import type { Dispatcher } from 'undici';
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

/** What the attempt log keeps of an answer: its first bytes, as text PostgreSQL stores. */
function snippetOf(chunks: Buffer[]): string {
  // A NUL would fail the whole batch of outcomes.
  return toStorableText(Buffer.concat(chunks).subarray(0, SNIPPET_BYTES).toString('utf8'));
}

/** Why an attempt that outlived its deadline ended, as AbortSignal.timeout would have said it. */
function timeoutError(): DOMException {
  return new DOMException('The operation was aborted due to timeout', 'TimeoutError');
}

function timeUp(a: Attempt): void {
  a.timeUp();
}

interface Answer {
  statusCode: number | null;
  snippet: string | null;
  /** Why the POST failed (null when an answer came, whatever its status). */
  failure: unknown;
}

/**
 * One POST's answer as undici hands it over (Dispatcher.dispatch): the status, the first SNIPPET_BYTES,
 * a drain limit and a deadline, with no body stream, async iterator or AbortSignal per POST (they were a
 * tenth of the worker's CPU per delivery, docs/benchmarks.md). Ends once: at the answer's end, at an
 * error, or at the deadline, which aborts the request when it has started and otherwise ends the attempt
 * at once (a request still waiting for its connection is aborted as soon as it starts).
 */
class Attempt implements Dispatcher.DispatchHandler {
  private controller: Dispatcher.DispatchController | null = null;
  private statusCode: number | null = null;
  private readonly chunks: Buffer[] = [];
  private size = 0;
  private drained = false;
  private timedOut = false;
  private ended = false;
  private readonly timer: NodeJS.Timeout;

  constructor(
    timeoutMs: number,
    private readonly end: (a: Answer) => void,
  ) {
    this.timer = setTimeout(timeUp, timeoutMs, this);
  }

  timeUp(): void {
    this.timedOut = true;
    if (this.controller) this.controller.abort(timeoutError());
    else this.finish(null, timeoutError());
  }

  /** The request could not be sent at all (a refused address): the attempt ends with that error. */
  failed(err: unknown): void {
    this.finish(null, err);
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.timedOut) controller.abort(timeoutError());
  }

  onResponseStart(_c: Dispatcher.DispatchController, statusCode: number): void {
    if (statusCode >= 200) this.statusCode = statusCode; // 1xx are informational: the answer follows
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.size < SNIPPET_BYTES) this.chunks.push(chunk);
    this.size += chunk.length;
    if (this.size > DRAIN_LIMIT_BYTES && !this.drained) {
      // Not read to its end: the connection is dropped instead of drained, the answer kept as it is.
      this.drained = true;
      controller.abort(new Error('answer longer than the drain limit'));
    }
  }

  onResponseEnd(): void {
    this.finish(snippetOf(this.chunks), null);
  }

  onResponseError(_c: Dispatcher.DispatchController, err: Error): void {
    if (this.drained) this.finish(snippetOf(this.chunks), null);
    else this.finish(null, err);
  }

  private finish(snippet: string | null, failure: unknown): void {
    if (this.ended) return;
    this.ended = true;
    clearTimeout(this.timer);
    this.end({ statusCode: this.statusCode, snippet, failure });
  }
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
    const answer = await new Promise<Answer>((resolve) => {
      const attempt = new Attempt(this.timeoutMs, resolve);
      try {
        this.targets.dispatch(this.urlOf(endpoint.url), { body, headers }, guarded, attempt);
      } catch (err) {
        attempt.failed(err);
      }
    });
    const { statusCode, snippet, failure } = answer;
    let error: string | null = null;
    if (failure !== null) error = toStorableText(attemptError(failure, this.timeoutMs));
    else if (statusCode === null || statusCode < 200 || statusCode > 299) error = `HTTP ${statusCode}`;
    return {
      statusCode,
      latencyMs: Math.round(performance.now() - started),
      snippet: failure === null ? snippet : null,
      error,
    };
  }
}
