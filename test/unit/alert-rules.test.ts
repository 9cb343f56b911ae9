// hookflow's alert rules under Prometheus's own tools: `promtool check rules` on the rule file, and
// `promtool test rules` on synthetic series: every alert fires on one that should page (with the
// labels and the rendered summary an operator reads) and stays quiet on one that should not. The
// test file is built here from the cases below, with each alert's description taken from the rule
// file (promtool compares annotations whole). Needs Debian's `prometheus` package (.ci/run installs it).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { parse, stringify } from 'yaml';

const RULES = path.join(__dirname, '..', '..', 'observability', 'prometheus', 'alerts.yml');

interface Rule {
  alert?: string;
  annotations?: { summary?: string; description?: string };
}
const rules = (parse(readFileSync(RULES, 'utf8')) as { groups: { rules: Rule[] }[] }).groups
  .flatMap((g) => g.rules)
  .filter((r) => r.alert !== undefined);

type Series = Record<string, string>;
interface Case {
  /** Input series: selector → promtool values (one sample per minute). */
  series: Series;
  at: string;
  /** Expected alerts: their labels (besides alertname and severity) and rendered summary; none means quiet. */
  fires: { labels?: Record<string, string>; summary: string }[];
}

/** For every alert, at least one case where it pages and one where it stays quiet. */
const CASES: Record<string, Case[]> = {
  HookflowDeliveryRejectionRate: [
    {
      series: {
        'hookflow_deliveries_total{outcome="rejected",reason="signature"}': '0+10x30',
        'hookflow_deliveries_total{outcome="accepted",reason="none"}': '0+10x30',
      },
      at: '20m',
      fires: [{ summary: 'hookflow refuses 50% of webhook deliveries' }],
    },
    {
      // Someone browsing the webhook URL (405s) is not a delivery going wrong.
      series: {
        'hookflow_deliveries_total{outcome="rejected",reason="method"}': '0+10x30',
        'hookflow_deliveries_total{outcome="accepted",reason="none"}': '0+10x30',
      },
      at: '20m',
      fires: [],
    },
    {
      series: { 'hookflow_deliveries_total{outcome="accepted",reason="none"}': '0x30' },
      at: '20m',
      fires: [],
    },
  ],
  HookflowDeliveryWorkflowFailures: [
    {
      series: {
        'hookflow_delivery_workflows_total{outcome="failed"}': '0+1x30',
        'hookflow_delivery_workflows_total{outcome="completed"}': '0+3x30',
      },
      at: '25m',
      fires: [{ summary: '25% of delivery workflows fail' }],
    },
    {
      series: {
        'hookflow_delivery_workflows_total{outcome="failed"}': '0+1x30',
        'hookflow_delivery_workflows_total{outcome="completed"}': '0+100x30',
      },
      at: '25m',
      fires: [],
    },
  ],
  HookflowWebhookSignatureFailures: [
    {
      series: { 'hookflow_deliveries_total{outcome="rejected",reason="signature"}': '0+1x40' },
      at: '30m',
      fires: [{ summary: 'hookflow refused 15 deliveries with a bad signature in 15 minutes' }],
    },
    {
      // A stray forged request or two.
      series: { 'hookflow_deliveries_total{outcome="rejected",reason="signature"}': '0 0 1 2 2x30' },
      at: '20m',
      fires: [],
    },
  ],
  HookflowApiErrorRate: [
    {
      series: {
        'hookflow_api_requests_total{status_class="5xx"}': '0+2x30',
        'hookflow_api_requests_total{status_class="network"}': '0+1x30',
        'hookflow_api_requests_total{status_class="2xx"}': '0+7x30',
      },
      at: '20m',
      fires: [{ summary: '30% of GitHub API calls fail with 5xx or no answer' }],
    },
    {
      series: {
        'hookflow_api_requests_total{status_class="5xx"}': '0+1x30',
        'hookflow_api_requests_total{status_class="4xx"}': '0+50x30',
        'hookflow_api_requests_total{status_class="2xx"}': '0+50x30',
      },
      at: '20m',
      fires: [],
    },
  ],
  HookflowApiAuthFailures: [
    {
      series: { 'hookflow_api_auth_failures_total{reason="unauthorized"}': '0 0 0 1 1 1 1 1' },
      at: '5m',
      fires: [
        {
          labels: { reason: 'unauthorized' },
          summary: 'GitHub API calls fail authentication (unauthorized)',
        },
      ],
    },
    { series: { 'hookflow_api_auth_failures_total{reason="unauthorized"}': '0x30' }, at: '20m', fires: [] },
  ],
  HookflowTokenRefreshFailing: [
    {
      series: { 'hookflow_token_refreshes_total{result="failed"}': '0+1x30' },
      at: '20m',
      fires: [{ summary: 'hookflow cannot refresh installation tokens' }],
    },
    {
      // One failed refresh (a 429, a network error), then successes: not paged, however long after.
      series: {
        'hookflow_token_refreshes_total{result="failed"}': '0 1x40',
        'hookflow_token_refreshes_total{result="ok"}': '0+1x40',
      },
      at: '12m',
      fires: [],
    },
  ],
  HookflowOutboxNotDraining: [
    {
      series: { hookflow_outbox_depth: '3x30' },
      at: '15m',
      fires: [{ summary: '3 acknowledged deliveries have waited in the outbox for 10 minutes' }],
    },
    {
      // Deliveries come and go: the relay drains it.
      series: { hookflow_outbox_depth: '5 0 3 0 8 0 2 0 5 0 3 0 8 0 2 0 5 0 3 0' },
      at: '15m',
      fires: [],
    },
  ],
  HookflowDeadLetters: [
    {
      series: { hookflow_dead_letters_total: '0 0 0 0 0 2 2 2 2 2' },
      at: '8m',
      fires: [{ summary: '2 deliveries became dead letters in the last 15 minutes' }],
    },
    { series: { hookflow_dead_letters_total: '0x30' }, at: '20m', fires: [] },
  ],
  HookflowSyncJobsFailing: [
    {
      series: { 'hookflow_sync_jobs_total{result="failed"}': '0 0 1 1 1' },
      at: '4m',
      fires: [{ summary: 'A repository sync job failed in the last hour' }],
    },
    {
      // A failure only the SDK saw (a timeout, exhausted retries).
      series: { 'temporal_workflow_failed_total{workflow_type="syncRepository"}': '0 0 1 1 1' },
      at: '4m',
      fires: [{ summary: 'A repository sync job failed in the last hour' }],
    },
    {
      series: {
        'hookflow_sync_jobs_total{result="completed"}': '0+1x10',
        'temporal_workflow_failed_total{workflow_type="onIssues"}': '0+1x10',
      },
      at: '8m',
      fires: [],
    },
  ],
  HookflowReplaysFailing: [
    {
      series: { 'hookflow_replays_total{result="failed"}': '0 0 3 3 3' },
      at: '4m',
      fires: [{ summary: '3 replayed deliveries failed again in the last hour' }],
    },
    { series: { 'hookflow_replays_total{result="succeeded"}': '0+5x10' }, at: '8m', fires: [] },
  ],
  HookflowMissedDeliveries: [
    {
      series: { hookflow_reconcile_missed_total: '0 0 4 4 4' },
      at: '4m',
      fires: [{ summary: "4 deliveries missed by hookflow were found in GitHub's delivery log" }],
    },
    { series: { hookflow_reconcile_missed_total: '0x10' }, at: '8m', fires: [] },
  ],
  HookflowUnrecoverableDeliveryGap: [
    {
      series: { 'hookflow_reconcile_unrecoverable_total{reason="expired"}': '0 0 1 1' },
      at: '3m',
      fires: [
        {
          labels: { reason: 'expired' },
          summary: 'Deliveries missed by hookflow can no longer be redelivered (expired)',
        },
      ],
    },
    { series: { 'hookflow_reconcile_unrecoverable_total{reason="gap"}': '0x10' }, at: '8m', fires: [] },
  ],
  HookflowTargetDown: [
    {
      series: {
        'up{job="hookflow-server",instance="server:9465"}': '1x10',
        'up{job="hookflow-worker",instance="10.0.0.2:9464"}': '1x10',
        'up{job="hookflow-worker",instance="10.0.0.3:9464"}': '0x10',
      },
      at: '5m',
      fires: [
        {
          labels: { job: 'hookflow-worker', instance: '10.0.0.3:9464' },
          summary: 'hookflow-worker 10.0.0.3:9464 does not answer on /metrics',
        },
      ],
    },
    {
      // No worker at all (the last replica gone from DNS): absent, not down.
      series: { 'up{job="hookflow-server",instance="server:9465"}': '1x10' },
      at: '5m',
      fires: [{ labels: { job: 'hookflow-worker' }, summary: 'no hookflow-worker answers on /metrics' }],
    },
    {
      series: {
        'up{job="hookflow-server",instance="server:9465"}': '1x10',
        'up{job="hookflow-worker",instance="10.0.0.2:9464"}': '1x10',
        // A blip shorter than the rule's 2 minutes.
        'up{job="hookflow-worker",instance="10.0.0.3:9464"}': '1 1 0 1 1 1 1 1 1 1',
      },
      at: '5m',
      fires: [],
    },
  ],
};

/** The description with `{{ $labels.x }}` filled in, as Prometheus renders it. */
function description(rule: Rule, labels: Record<string, string>): string {
  const text = rule.annotations?.description ?? '';
  assert.doesNotMatch(text, /\$value/, `${rule.alert}: a description with $value needs its case to give it`);
  return text.replace(/\{\{\s*\$labels\.(\w+)\s*\}\}/g, (_, name: string) => labels[name] ?? '');
}

function severity(rule: Rule): string {
  return (rule as { labels?: { severity?: string } }).labels?.severity ?? '';
}

function promtool(args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    execFile('promtool', args, (err, stdout, stderr) => {
      if (err && (err as NodeJS.ErrnoException).code === 'ENOENT') {
        reject(
          new Error("promtool is not installed: `apt-get install prometheus` (Debian's package) brings it"),
        );
        return;
      }
      resolve({ code: err ? Number(err.code ?? 1) : 0, output: `${stdout}${stderr}` });
    });
  });
}

describe('alert rules under promtool', () => {
  test('promtool check rules accepts the rule file', async () => {
    const run = await promtool(['check', 'rules', RULES]);
    assert.equal(run.code, 0, run.output);
    assert.match(run.output, /SUCCESS/);
  });

  test('every alert has a case that pages and one that stays quiet', () => {
    for (const rule of rules) {
      const cases = CASES[rule.alert!] ?? [];
      assert.ok(
        cases.some((c) => c.fires.length > 0),
        `${rule.alert}: no case where it fires`,
      );
      assert.ok(
        cases.some((c) => c.fires.length === 0),
        `${rule.alert}: no case where it stays quiet`,
      );
    }
    assert.deepEqual(
      Object.keys(CASES).filter((name) => !rules.some((r) => r.alert === name)),
      [],
      'cases for alerts that no longer exist',
    );
  });

  test('promtool test rules: each alert fires where it should and only there', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'hookflow-rules-'));
    copyFileSync(RULES, path.join(dir, 'alerts.yml'));
    const tests = rules.flatMap((rule) =>
      CASES[rule.alert!].map((c) => ({
        interval: '1m',
        input_series: Object.entries(c.series).map(([series, values]) => ({ series, values })),
        alert_rule_test: [
          {
            eval_time: c.at,
            alertname: rule.alert,
            exp_alerts: c.fires.map((f) => ({
              exp_labels: { severity: severity(rule), ...f.labels },
              exp_annotations: { summary: f.summary, description: description(rule, f.labels ?? {}) },
            })),
          },
        ],
      })),
    );
    const file = path.join(dir, 'alerts.test.yml');
    writeFileSync(file, stringify({ rule_files: ['alerts.yml'], evaluation_interval: '1m', tests }));
    const run = await promtool(['test', 'rules', file]);
    assert.equal(run.code, 0, run.output);
    assert.match(run.output, /SUCCESS/);
  });
});
