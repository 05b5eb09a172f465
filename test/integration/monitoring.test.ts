import { readFileSync } from 'node:fs';
import { parser } from '@prometheus-io/lezer-promql';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { useTestApp } from '../helpers/app.js';
import { ROOT } from '../helpers/process.js';

// Alerts and dashboards as code (issue 19), checked without a Prometheus binary: every rule and dashboard
// expression is parsed with Prometheus' own PromQL grammar (@prometheus-io/lezer-promql, what the Prometheus
// UI uses), every metric it names must be exported by /metrics of a running app (worker and API roles in
// one process), every label it matches on must be one of that metric's labels, and every alert has its
// runbook entry.

const read = (file: string) => readFileSync(`${ROOT}${file}`, 'utf8');
/** Series Prometheus makes itself, not the app. */
const SYNTHETIC = new Set(['up']);
const t = useTestApp({}, { role: 'all' });

interface Rule {
  alert: string;
  expr: string;
  for: string;
  labels: { severity: string };
  annotations: { summary: string; description: string; runbook_url: string };
}
const rules = (
  parse(read('monitoring/prometheus/alerts.yml')) as { groups: { name: string; rules: Rule[] }[] }
).groups.flatMap((g) => g.rules);
const dashboard = JSON.parse(read('monitoring/grafana/dashboards/novapay.json')) as {
  uid: string;
  panels: { type: string; title: string; datasource?: { uid: string }; targets?: { expr: string }[] }[];
};

/** Metric names and the label names matched on each, from the PromQL syntax tree; throws on a syntax error. */
function selectors(expr: string): { metric: string; labels: string[] }[] {
  const tree = parser.parse(expr);
  const out: { metric: string; labels: string[] }[] = [];
  const c = tree.cursor();
  do {
    if (c.type.isError) throw new Error(`PromQL syntax error at ${c.from} in: ${expr}`);
    if (c.type.name === 'VectorSelector') {
      const text = expr.slice(c.from, c.to);
      const node = c.node;
      const id = node.getChild('Identifier');
      const labels: string[] = [];
      const matchers = node.getChild('LabelMatchers');
      if (matchers) {
        for (const m of matchers.getChildren('UnquotedLabelMatcher')) {
          const name = m.getChild('LabelName');
          if (name) labels.push(expr.slice(name.from, name.to));
        }
      }
      out.push({ metric: id ? expr.slice(id.from, id.to) : text, labels });
    }
  } while (c.next());
  return out;
}

/** What /metrics exports: series name → label names (a histogram's _bucket, _sum and _count included). */
let exported = new Map<string, Set<string>>();

beforeAll(async () => {
  const admin = (await t.app.services.tokens.issueAdmin(60, 'prometheus')).token;
  const res = await t.app.server.inject({ url: '/metrics', headers: { authorization: `Bearer ${admin}` } });
  expect(res.statusCode).toBe(200);
  const registry = t.app.services.ops!.metrics!.registry;
  exported = new Map();
  for (const line of res.body.split('\n')) {
    const m = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (!m) continue;
    const [, name, type] = m as unknown as [string, string, string];
    const labels = new Set<string>(
      (registry.getSingleMetric(name) as unknown as { labelNames?: string[] })?.labelNames ?? [],
    );
    if (type === 'histogram') {
      exported.set(`${name}_bucket`, new Set([...labels, 'le']));
      exported.set(`${name}_sum`, labels);
      exported.set(`${name}_count`, labels);
    } else exported.set(name, labels);
  }
});

function checkExpr(where: string, expr: string) {
  const used = selectors(expr);
  expect(used.length, where).toBeGreaterThan(0);
  for (const { metric, labels } of used) {
    if (SYNTHETIC.has(metric)) continue;
    expect(exported.has(metric), `${where}: ${metric} is not exported by /metrics`).toBe(true);
    for (const l of labels)
      expect([...exported.get(metric)!], `${where}: ${metric} has no label ${l}`).toContain(l);
  }
}

describe('alerting rules (monitoring/prometheus/alerts.yml)', () => {
  it('cover what the issue asks for, each with a severity, a summary and a runbook link', () => {
    const names = rules.map((r) => r.alert);
    expect(new Set(names).size).toBe(names.length);
    for (const needed of [
      'NovaPayScannerLagging',
      'NovaPayWebhookBacklog',
      'NovaPayWebhookFailureRate',
      'NovaPayPayoutsWaitingForFunds',
      'NovaPayHotWalletLow',
      'NovaPayLedgerBatchSlow',
      'NovaPayApiLatencyHigh',
      'NovaPayApi5xxRate',
    ])
      expect(names).toContain(needed);
    for (const r of rules) {
      expect(['critical', 'warning', 'info'], r.alert).toContain(r.labels.severity);
      expect(r.for, r.alert).toMatch(/^(\d+(ms|s|m|h|d))+$/);
      expect(r.annotations.summary.length, r.alert).toBeGreaterThan(10);
      expect(r.annotations.runbook_url, r.alert).toBe(`docs/runbook.md#${r.alert.toLowerCase()}`);
    }
  });

  it('parse as PromQL and name only metrics and labels /metrics exports', () => {
    expect(exported.size).toBeGreaterThan(30);
    for (const r of rules) checkExpr(r.alert, r.expr);
  });

  it('catch a misspelt metric, a wrong label and a syntax error (the check itself works)', () => {
    expect(() => checkExpr('typo', 'max(novapay_webhook_deliveries_pendin) > 1')).toThrow(/not exported/);
    expect(() => checkExpr('label', 'max by (x) (novapay_queue_jobs{stat="failed"}) > 0')).toThrow(
      /no label stat/,
    );
    expect(() => selectors('max(novapay_queue_jobs{state="failed"} > 0')).toThrow(/syntax error/);
  });

  it('each have a runbook entry: what it means, what to check, what to do', () => {
    const runbook = read('docs/runbook.md');
    for (const r of rules) {
      const start = runbook.indexOf(`\n### ${r.alert}\n`);
      expect(start, `docs/runbook.md has no "### ${r.alert}"`).toBeGreaterThan(0);
      const next = runbook.indexOf('\n#', start + 5);
      const entry = runbook.slice(start, next < 0 ? undefined : next);
      for (const part of ['**What it means.**', '**What to check.**', '**What to do.**'])
        expect(entry, `${r.alert}: ${part}`).toContain(part);
    }
  });
});

describe('Grafana dashboard and Prometheus configuration (monitoring/)', () => {
  it('has panels whose every query parses and names exported metrics, on the provisioned data source', () => {
    const datasource = parse(read('monitoring/grafana/provisioning/datasources/prometheus.yml')) as {
      datasources: { uid: string; url: string }[];
    };
    const uid = datasource.datasources[0]!.uid;
    const panels = dashboard.panels.filter((p) => p.type !== 'row');
    expect(panels.length).toBeGreaterThan(15);
    for (const p of panels) {
      expect(p.datasource?.uid, p.title).toBe(uid);
      expect(p.targets?.length, p.title).toBeGreaterThan(0);
      for (const target of p.targets!) checkExpr(p.title, target.expr);
    }
    // Every alert's metric is on the dashboard, so an alert can be looked at.
    const onDashboard = new Set(
      panels.flatMap((p) => p.targets!.flatMap((x) => selectors(x.expr).map((s) => s.metric))),
    );
    for (const r of rules)
      for (const s of selectors(r.expr))
        if (!SYNTHETIC.has(s.metric)) expect(onDashboard, r.alert).toContain(s.metric);
  });

  it('loads the rules and scrapes the ops port of api and worker', () => {
    const prom = parse(read('monitoring/prometheus/prometheus.yml')) as {
      rule_files: string[];
      scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[];
    };
    expect(prom.rule_files).toEqual(['/etc/prometheus/alerts.yml']);
    const job = prom.scrape_configs.find((j) => j.job_name === 'novapay')!;
    expect(job.static_configs[0]!.targets).toEqual(['api:9100', 'worker:9100']);
    const provider = parse(read('monitoring/grafana/provisioning/dashboards/novapay.yml')) as {
      providers: { options: { path: string } }[];
    };
    expect(provider.providers[0]!.options.path).toBe('/etc/grafana/dashboards');
  });
});
