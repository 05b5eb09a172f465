import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll } from 'vitest';
import { type App, createApp, type Role } from '../../src/app.js';
import { type Config, loadConfig } from '../../src/config.js';
import { hmacSha256Hex } from '../../src/lib/crypto.js';
import type { Logger } from '../../src/lib/logger.js';
import type { Mode } from '../../src/lib/tenant.js';
import type { KeyOptions } from '../../src/modules/merchants/service.js';
import { createTestDatabase, databaseUrl, dropTestDatabase } from './db.js';

export interface TestMerchant {
  merchantId: string;
  mode: Mode;
  keyId: string;
  apiKey: string;
  apiSecret: string;
}

export interface RequestOptions {
  method?: 'GET' | 'POST';
  url: string;
  body?: unknown;
  /** Raw body text, sent as is (for invalid JSON and exact-number cases). */
  rawBody?: string;
  headers?: Record<string, string>;
  as?: TestMerchant | null;
  timestamp?: number;
  remoteAddress?: string;
}

export interface TestContext {
  app: App;
  dbName: string;
  merchant(mode?: Mode, opts?: KeyOptions): Promise<TestMerchant>;
  request(
    opts: RequestOptions,
  ): Promise<{ status: number; body: any; text: string; headers: Record<string, unknown> }>;
  graphql(
    as: TestMerchant | { bearer: string } | null,
    query: string,
    variables?: Record<string, unknown>,
  ): Promise<{ status: number; body: any }>;
  credit(m: TestMerchant, userId: string, amount: string): Promise<void>;
}

export function sign(secret: string, body: string, timestamp?: number): string {
  return hmacSha256Hex(secret, timestamp === undefined ? body : `${timestamp}.${body}`);
}

/** Starts an app on its own database and Redis prefix for the current test file. */
export function useTestApp(
  config: Partial<Config> = {},
  opts: {
    role?: Role;
    redisPrefix?: string;
    configure?: () => Promise<Partial<Config>>;
    /** The app's DATABASE_URL for its database (e.g. through a proxy); databaseUrl(dbName) by default. */
    databaseUrl?: (dbName: string) => string | Promise<string>;
    /** The app's logger (to read what it logs); none by default (LOG_LEVEL silent). */
    logger?: Logger;
  } = {},
): TestContext {
  const ctx = {} as TestContext;
  beforeAll(async () => {
    const dbName = await createTestDatabase();
    const app = await createApp({
      migrate: false,
      role: opts.role ?? 'api',
      ...(opts.logger ? { logger: opts.logger } : {}),
      config: {
        databaseUrl: opts.databaseUrl ? await opts.databaseUrl(dbName) : databaseUrl(dbName),
        redisPrefix: opts.redisPrefix ?? `novapay-test:${randomBytes(4).toString('hex')}`,
        logLevel: 'silent',
        dbPoolSize: 8,
        // No chain devnets unless a test asks for one (useTronApp, useEvmApp).
        tron: { ...loadConfig().tron, devnet: 'off' },
        evm: { ...loadConfig().evm, devnet: 'off' },
        ...config,
        ...(opts.configure ? await opts.configure() : {}),
      },
    });
    ctx.app = app;
    ctx.dbName = dbName;
    ctx.merchant = async (mode = 'test', opts = {}) => {
      const m = await app.services.merchants.createMerchant(`Merchant ${randomBytes(3).toString('hex')}`);
      const k = await app.services.merchants.createKey(m.id, mode, { rateLimitPerSecond: 100_000, ...opts });
      return { merchantId: m.id, mode, keyId: k.keyId, apiKey: k.apiKey, apiSecret: k.apiSecret };
    };
    ctx.request = async (o) => {
      const method = o.method ?? (o.body !== undefined || o.rawBody !== undefined ? 'POST' : 'GET');
      const payload = o.rawBody ?? (o.body === undefined ? '' : JSON.stringify(o.body));
      const headers: Record<string, string> = {};
      if (payload) headers['content-type'] = 'application/json';
      if (o.as) {
        headers['x-api-key'] = o.as.apiKey;
        headers['x-signature'] = sign(o.as.apiSecret, payload, o.timestamp);
        if (o.timestamp !== undefined) headers['x-timestamp'] = String(o.timestamp);
      }
      const res = await app.server.inject({
        method,
        url: o.url,
        payload: payload || undefined,
        headers: { ...headers, ...o.headers },
        remoteAddress: o.remoteAddress ?? '127.0.0.1',
      });
      let body: unknown = res.body;
      try {
        body = res.json();
      } catch {}
      return { status: res.statusCode, body, text: res.body, headers: res.headers };
    };
    ctx.graphql = async (as, query, variables = {}) => {
      const payload = JSON.stringify({ query, variables });
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (as && 'bearer' in as) headers.authorization = `Bearer ${as.bearer}`;
      else if (as) {
        headers['x-api-key'] = as.apiKey;
        headers['x-signature'] = sign(as.apiSecret, payload);
      }
      const res = await app.server.inject({ method: 'POST', url: '/graphql', payload, headers });
      return { status: res.statusCode, body: res.json() };
    };
    ctx.credit = async (m, userId, amount) => {
      await app.services.ledger.adjust(
        { merchantId: m.merchantId, mode: m.mode },
        { userId, amount, direction: 'credit', reason: 'test funding', actor: 'test' },
      );
    };
  });
  afterAll(async () => {
    await ctx.app?.stop();
    if (ctx.dbName) await dropTestDatabase(ctx.dbName);
  });
  return ctx;
}
