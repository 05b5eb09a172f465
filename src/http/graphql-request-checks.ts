import type { FastifyRequest } from 'fastify';
import { JsonNumber } from '../lib/json.js';

// Checks of a /graphql request that yoga makes only after the operation has run, or not at all, made here
// before anything runs:
// - the Accept header: yoga picks how to write the answer (JSON, an event stream, multipart) after executing
//   the operation, and answers 406 with no body when the client accepts none of them; for a mutation that is
//   an error hiding a committed change (a transfer posted, its client told "Not Acceptable").
// - a POST body that is JSON but not an object: yoga called it "POST body sent invalid JSON." (a 200 under
//   application/json, without the request id), and an array "Batching is not supported." without the id.
// - GET's `variables` and `extensions`: yoga JSON.parses them, and text that is not JSON surfaced as an
//   unexpected error (internal_error) instead of the caller's 400.

/** The media types yoga's result processors write (graphql-yoga's use-result-processor), in UTF-8 only. */
const ANSWERABLE = [
  'text/event-stream',
  'multipart/mixed',
  'application/graphql-response+json',
  'application/json',
];

export const NOT_ACCEPTABLE =
  'Accept names no media type this operation can be answered with: application/json, ' +
  'application/graphql-response+json, text/event-stream or ' +
  'multipart/mixed, in UTF-8';

/**
 * True when yoga finds a way to write an answer for this Accept header (read as yoga reads it: ranges split on
 * commas, a charset other than UTF-8 refused, wildcards in the range). A subscription can still be refused
 * after it starts (only an event stream carries one): that 406 is nothing committed.
 */
export function acceptsAnAnswer(accept: string | undefined): boolean {
  const ranges = (accept || '*/*').replace(/\s/g, '').toLowerCase().split(',');
  return ranges.some((range) => {
    const [type = '', ...params] = range.split(';');
    const charset = params.find((p) => p.includes('charset=')) ?? 'charset=utf-8';
    if (charset !== 'charset=utf-8') return false;
    const [pre, suf] = type.split('/');
    return ANSWERABLE.some((m) => {
      const [p, s] = m.split('/');
      return (pre === '*' || pre === p) && (suf === '*' || suf === s);
    });
  });
}

/**
 * The name of a GET parameter that should hold JSON and does not, else null: read as yoga reads it (the first
 * value of each name, from the URL's query string).
 */
export function unparsableGetParam(req: FastifyRequest): string | null {
  const at = req.url.indexOf('?');
  if (req.method !== 'GET' || at < 0) return null;
  const params = new URLSearchParams(req.url.slice(at + 1));
  for (const name of ['variables', 'extensions']) {
    const v = params.get(name);
    if (!v) continue;
    try {
      JSON.parse(v);
    } catch {
      return name;
    }
  }
  return null;
}

/**
 * Why a POST's JSON body is no GraphQL request (an array: a batch, which is not offered; a number, string,
 * boolean or null), else null. Answered 400 whatever the Accept header, as a body that is not JSON is.
 */
export function notAGraphqlRequest(req: FastifyRequest): string | null {
  const body = req.body;
  if (req.method !== 'POST' || body === undefined) return null;
  if (Array.isArray(body) && body.length > 0)
    return 'Batching is not supported: send one operation per request, such as {"query": "{ __typename }"}';
  if (typeof body === 'object' && body !== null && !Array.isArray(body) && !(body instanceof JsonNumber))
    return null;
  return 'The body must be a JSON object such as {"query": "{ __typename }"}';
}
