import { readFileSync } from 'node:fs';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import ajvFormats from 'ajv-formats';
import { expect } from 'vitest';
import { parse } from 'yaml';
import { OPENAPI_FILE } from '../../src/http/docs.js';

// docs/openapi.yaml as tests read it: the document, its $refs, a strict validator for any schema in it, and
// a check of one real response against what the document says of it. Shared by the contract test
// (test/integration/openapi.test.ts) and the property-based API tests.

export type Json = Record<string, any>;
export type Method = 'get' | 'post';
export type Res = { status: number; body: any; headers: Record<string, unknown> };

export const doc: Json = parse(readFileSync(OPENAPI_FILE, 'utf8'));

// ajv-formats is CommonJS; its default export is the plugin function, reached differently by tsc and tsx.
export const addFormats = ((ajvFormats as unknown as { default?: unknown }).default ?? ajvFormats) as (
  ajv: Ajv2020,
) => Ajv2020;

// ---------------------------------------------------------------------------------------------------------
// The document, its schemas and a strict validator for each

/** Follows `$ref`s inside the document ("#/components/…") to the object they name. */
export function deref(value: Json): Json {
  let v: Json | undefined = value;
  for (let i = 0; v && typeof v.$ref === 'string'; i++) {
    if (i > 20 || !v.$ref.startsWith('#/')) throw new Error(`cannot follow $ref ${v.$ref}`);
    v = at(parts(v.$ref));
    if (v === undefined) throw new Error(`dangling $ref ${value.$ref}`);
  }
  return v as Json;
}

/** "#/components/schemas/X" → ['components', 'schemas', 'X'] */
export function parts(ref: string): string[] {
  return ref
    .slice(2)
    .split('/')
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
}

export function at(segments: string[]): Json | undefined {
  return segments.reduce((o: Json | undefined, k) => o?.[k], doc);
}

/** Where the object at `segments` really lives, following every $ref on the way, as JSON-pointer segments. */
export function locate(segments: string[]): string[] {
  let where: string[] = [];
  for (const segment of segments) {
    where = [...where, segment];
    for (let i = 0; ; i++) {
      const v = at(where);
      if (!v || typeof v.$ref !== 'string') break;
      if (i > 20) throw new Error(`$ref loop at ${where.join('/')}`);
      where = parts(v.$ref);
    }
  }
  return where;
}

/**
 * A copy of the document in which every object schema that does not say otherwise refuses properties it does
 * not declare (unevaluatedProperties: false, which also sees through allOf and $ref). allOf members are left
 * open since their parent closes them.
 */
export function strictify(node: unknown, inAllOf = false): unknown {
  if (Array.isArray(node)) return node.map((n) => strictify(n, inAllOf));
  if (!node || typeof node !== 'object') return node;
  const out: Json = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === 'example' || k === 'examples' || k === 'const' || k === 'enum' || k === 'default') out[k] = v;
    else if (k === 'allOf') out[k] = (v as unknown[]).map((m) => strictify(m, true));
    else out[k] = strictify(v);
  }
  const isObjectSchema = 'properties' in out || 'allOf' in out;
  if (isObjectSchema && !inAllOf && !('additionalProperties' in out) && !('unevaluatedProperties' in out)) {
    out.unevaluatedProperties = false;
  }
  return out;
}

export const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
ajv.addSchema(strictify(doc) as Json, 'openapi');

export function pointer(segments: string[]): string {
  return `openapi#/${segments.map((s) => encodeURIComponent(s.replace(/~/g, '~0').replace(/\//g, '~1'))).join('/')}`;
}

export function validator(segments: string[]): ValidateFunction {
  const v = ajv.getSchema(pointer(segments));
  if (!v) throw new Error(`no schema at ${segments.join(' / ')}`);
  return v;
}

/** Runs a validator without its type-guard narrowing the value to `unknown`. */
export function matches(v: ValidateFunction, data: unknown): boolean {
  return v(data) === true;
}

export function explain(v: ValidateFunction): string {
  return (v.errors ?? [])
    .map((e) => `${e.instancePath || '(root)'} ${e.message} ${JSON.stringify(e.params)}`)
    .join('\n');
}

/** Every (path, method) the document has. */
export function documentedOperations(): { path: string; method: Method }[] {
  const out: { path: string; method: Method }[] = [];
  for (const [path, item] of Object.entries(doc.paths as Json)) {
    for (const method of Object.keys(item)) {
      if (['get', 'post', 'put', 'patch', 'delete'].includes(method))
        out.push({ path, method: method as Method });
    }
  }
  return out;
}

export const opKey = (method: string, path: string) => `${method.toUpperCase()} ${path}`;
export const toFastifyPath = (path: string) => path.replace(/\{(\w+)\}/g, ':$1');
export const fromFastifyPath = (path: string) => path.replace(/:(\w+)/g, '{$1}');

// Headers the document describes anywhere: one that is sent must be documented on that response.
export const API_HEADERS = [
  'X-Request-Id',
  'Idempotent-Replayed',
  'RateLimit-Limit',
  'RateLimit-Remaining',
  'RateLimit-Reset',
  'Retry-After',
];

export function headerValue(res: Res, name: string): string | undefined {
  const v = res.headers[name.toLowerCase()];
  return v === undefined ? undefined : String(v);
}

/** Validates one real response against the documented response of (method, path, status). */
export function checkResponse(method: Method, path: string, res: Res): void {
  const where = `${opKey(method, path)} → ${res.status}`;
  const responses = doc.paths[path]?.[method]?.responses;
  expect(responses, `${opKey(method, path)} is not documented`).toBeDefined();
  const status = String(res.status);
  expect(
    Object.keys(responses),
    `${where} is not a documented status (body ${JSON.stringify(res.body)})`,
  ).toContain(status);
  const responseAt = locate(['paths', path, method, 'responses', status]);
  const response = deref(responses[status]);

  expect(String(res.headers['content-type'])).toMatch(/^application\/json/);
  const v = validator([...responseAt, 'content', 'application/json', 'schema']);
  if (!matches(v, res.body)) {
    throw new Error(
      `${where}: the body does not match the documented schema\n${explain(v)}\n${JSON.stringify(res.body)}`,
    );
  }

  const documented = response.headers ?? {};
  for (const [name, ref] of Object.entries(documented as Json)) {
    const h = deref(ref as Json);
    const value = headerValue(res, name);
    if (value === undefined) {
      expect(h.required, `${where}: required header ${name} is missing`).not.toBe(true);
      continue;
    }
    const schema = deref(h.schema);
    const typed = schema.type === 'integer' && /^-?\d+$/.test(value) ? Number(value) : value;
    const hv = validator([
      ...locate(['paths', path, method, 'responses', status, 'headers', name]),
      'schema',
    ]);
    expect(hv(typed), `${where}: header ${name}: ${value}\n${explain(hv)}`).toBe(true);
  }
  for (const name of API_HEADERS) {
    if (headerValue(res, name) !== undefined) {
      expect(Object.keys(documented), `${where}: sends ${name}, which the document does not list`).toContain(
        name,
      );
    }
  }
  if (res.status >= 400) expect(res.body.error.requestId).toBe(headerValue(res, 'X-Request-Id'));
}
