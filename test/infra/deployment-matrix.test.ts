/**
 * Every documented deployment synthesizes within AWS's quotas and cdk-nag clean: each file under
 * config/examples/, and the shipped catalog with every `deployment` option on at once in one
 * region. Bundling is skipped (neither check reads a bundle), so each synth takes seconds.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG_PATH, loadConfigFile, parseConfig, type RouterConfig } from '../../lambdas/core/config';
import { type CfnTemplate, quotaViolations } from '../../lib/aws-quotas';
import { addCheapTokenRouterStacks } from '../../lib/cheap-token-router-stacks';

const EXAMPLES_DIR = fileURLToPath(new URL('../../config/examples/', import.meta.url));

interface PluginReport {
  pluginName: string;
  violations: { ruleName: string; severity: string; violatingConstructs: { constructPath: string }[] }[];
  suppressedViolations?: { ruleName: string; reason: string; violatingConstructs: { constructPath: string }[] }[];
}

/** Synthesizes every stack of a config with cdk-nag; the unacknowledged findings, quota violations and acknowledgements. */
function synthesize(config: RouterConfig) {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stacks = addCheapTokenRouterStacks(app, { config, account: '111122223333' });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  // Synthesis throws on an unacknowledged error-level finding or a quota violation.
  const dir = app.synth().directory;
  const reports = (JSON.parse(readFileSync(join(dir, 'validation-report.json'), 'utf8')) as { pluginReports: PluginReport[] })
    .pluginReports;
  const open = reports.flatMap((r) =>
    r.violations.map((v) => `${v.severity} ${v.ruleName} at ${v.violatingConstructs.map((c) => c.constructPath).join(', ')}`),
  );
  const all = [...Object.values(stacks.keyStacks), stacks.dataStack, ...Object.values(stacks.routerStacks)];
  const overQuota = all.flatMap((s) => {
    const path = join(dir, s.templateFile);
    return quotaViolations(JSON.parse(readFileSync(path, 'utf8')) as CfnTemplate, s.stackName, statSync(path).size);
  });
  const acknowledged = reports.flatMap((r) => r.suppressedViolations ?? []);
  return { stacks, open, overQuota, acknowledged };
}

describe('every example config', () => {
  const examples = readdirSync(EXAMPLES_DIR).filter((f) => f.endsWith('.json'));

  it('includes a one-region example and a Bedrock example', () => {
    const configs = examples.map((f) => loadConfigFile(join(EXAMPLES_DIR, f)));
    expect(configs.some((c) => c.replicaRegions.length === 0)).toBe(true);
    expect(configs.some((c) => c.providers.some((p) => p.kind === 'bedrock'))).toBe(true);
  });

  it.each(examples)(
    '%s synthesizes within the quotas with zero unacknowledged cdk-nag findings',
    (file) => {
      // Prepare
      const config = loadConfigFile(join(EXAMPLES_DIR, file));
      // Act
      const { stacks, open, overQuota } = synthesize(config);
      // Assess
      expect(Object.keys(stacks.routerStacks)).toEqual([config.primaryRegion, ...config.replicaRegions]);
      expect(open).toEqual([]);
      expect(overQuota).toEqual([]);
    },
    120_000,
  );
});

describe('every deployment option at once, one region, the shipped catalog', () => {
  it('synthesizes within the quotas; the X-Ray grant is acknowledged with its reason, nothing is open', () => {
    // Prepare
    const { $schema: _s, ...raw } = JSON.parse(readFileSync(DEFAULT_CONFIG_PATH, 'utf8')) as Record<string, unknown>;
    const config = parseConfig({
      ...raw,
      replicaRegions: [],
      deployment: {
        namePrefix: 'ctr-all',
        stackPrefix: 'AllOptions',
        memorySizeMb: 1024,
        alarmEmail: 'ops@example.com',
        dashboard: true,
        manageApiGatewayAccountRole: true,
        waf: { enabled: true, rateLimitPer5Min: 500 },
        tracing: true,
        budgetAlerts: {
          enabled: true,
          thresholdsPercent: [50, 90],
          email: 'billing@example.com',
          webhookUrl: 'https://hooks.example.com/b',
        },
      },
    });
    // Act
    const { stacks, open, overQuota, acknowledged } = synthesize(config);
    // Assess
    expect(Object.keys(stacks.routerStacks)).toEqual(['us-east-1']);
    expect(open).toEqual([]);
    expect(overQuota).toEqual([]);
    const xray = acknowledged.filter((v) => v.ruleName === 'AwsSolutions-IAM5[Resource::*]');
    const paths = xray.flatMap((v) => v.violatingConstructs.map((c) => c.constructPath));
    // Six traced functions, each acknowledged on its X-Ray policy only.
    expect(paths).toHaveLength(6);
    for (const path of paths) expect(path).toMatch(/\/Router\/\w+Role\/XRayTracing\/Resource$/);
    for (const v of xray) expect(v.reason).toMatch(/no resource-level permissions/);
  }, 120_000);
});

describe('the shipped config in four regions, in a stage of its own', () => {
  it('synthesizes within the quotas with zero unacknowledged cdk-nag findings', () => {
    // Prepare
    const { $schema: _s, ...raw } = JSON.parse(readFileSync(DEFAULT_CONFIG_PATH, 'utf8')) as Record<string, unknown>;
    const config = parseConfig({
      ...raw,
      replicaRegions: ['eu-west-1', 'ap-southeast-2', 'us-west-2'],
      deployment: { namePrefix: 'ctr-staging' },
    });
    // Act
    const { stacks, open, overQuota } = synthesize(config);
    // Assess
    expect(Object.values(stacks.routerStacks).map((s) => s.stackName)).toEqual([
      'Ctr-staging-Router-us-east-1',
      'Ctr-staging-Router-eu-west-1',
      'Ctr-staging-Router-ap-southeast-2',
      'Ctr-staging-Router-us-west-2',
    ]);
    expect(open).toEqual([]);
    expect(overQuota).toEqual([]);
  }, 120_000);
});
