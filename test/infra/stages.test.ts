/**
 * A deploy that cannot surprise: two stages (name prefixes) synthesize side by side in one account
 * and app without a physical-name collision; the deployment section of the config drives names,
 * memory, WAF, alarm e-mail and budget alerts; no template nests `Fn::GetStackOutput` inside
 * another intrinsic (the replica regions read the secret by its deterministic name).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfigFile, parseConfig, type RouterConfig } from '../../lambdas/core/config';
import { addCheapTokenRouterStacks, type CheapTokenRouterStacks } from '../../lib/cheap-token-router-stacks';
import { RouterFunction } from '../../lib/router-function';
import { EXAMPLE_CONFIG_PATH, logicalIdOf, standaloneData } from './fixture';

/** Properties that are physical names of account- or region-scoped resources. */
const NAME_PROPERTIES: Record<string, string[]> = {
  'AWS::DynamoDB::GlobalTable': ['TableName'],
  'AWS::KMS::Alias': ['AliasName'],
  'AWS::SecretsManager::Secret': ['Name'],
  'AWS::ApiGateway::RestApi': ['Name'],
  'AWS::CloudWatch::Alarm': ['AlarmName'],
  'AWS::CloudWatch::Dashboard': ['DashboardName'],
  'AWS::Logs::LogGroup': ['LogGroupName'],
  'AWS::SNS::Topic': ['TopicName'],
  'AWS::WAFv2::WebACL': ['Name'],
  'AWS::Lambda::Function': ['FunctionName'],
  'AWS::IAM::Role': ['RoleName'],
};

function withDeployment(config: RouterConfig, deployment: Record<string, unknown>): RouterConfig {
  const { $schema: _s, ...raw } = JSON.parse(JSON.stringify(config)) as RouterConfig;
  return parseConfig({ ...raw, deployment: { ...raw.deployment, ...deployment } });
}

interface Synth {
  stacks: CheapTokenRouterStacks;
  templates: Array<{ stackName: string; region: string; t: Template; json: string }>;
}

/** Adds one deployment per config to one app, then synthesizes it once. */
function synthAll(app: App, ...configs: RouterConfig[]): Synth[] {
  const added = configs.map((config) => addCheapTokenRouterStacks(app, { config, account: '111122223333' }));
  const dir = app.synth().directory;
  return added.map((stacks) => read(dir, stacks));
}

function read(dir: string, stacks: CheapTokenRouterStacks): Synth {
  const all = [...Object.values(stacks.keyStacks), stacks.dataStack, ...Object.values(stacks.routerStacks)];
  return {
    stacks,
    templates: all.map((s) => {
      const json = readFileSync(join(dir, s.templateFile), 'utf8');
      return { stackName: s.stackName, region: s.region, t: Template.fromJSON(JSON.parse(json)), json };
    }),
  };
}

/** Every (region, type, name) a set of templates claims; unresolved names are kept as their JSON. */
function physicalNames(s: Synth): string[] {
  const names: string[] = [];
  for (const { region, t } of s.templates) {
    for (const [type, props] of Object.entries(NAME_PROPERTIES)) {
      for (const r of Object.values(t.findResources(type))) {
        for (const p of props) {
          const v = (r.Properties as Record<string, unknown> | undefined)?.[p];
          // A name built from one of the template's own resources (e.g. the API id) is unique by construction.
          if (v === undefined || /"Ref":"(?!AWS::)/.test(JSON.stringify(v))) continue;
          names.push(`${region} ${type} ${typeof v === 'string' ? v : JSON.stringify(v)}`);
        }
      }
    }
  }
  return names;
}

const base = () => loadConfigFile(EXAMPLE_CONFIG_PATH);

describe('two stages in one account', () => {
  let dev: Synth;
  let prod: Synth;
  beforeAll(() => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    // The second stage leaves the account-wide API Gateway logging role to the first.
    [dev, prod] = synthAll(
      app,
      withDeployment(base(), { namePrefix: 'ctr-dev', manageApiGatewayAccountRole: false, alarmEmail: 'dev@example.com' }),
      withDeployment(base(), {
        namePrefix: 'ctr-prod',
        alarmEmail: 'ops@example.com',
        budgetAlerts: { webhookUrl: 'https://hooks.example.com/ctr' },
      }),
    ) as [Synth, Synth];
  }, 120_000);

  it('names every stack and physical resource with its own prefix: no collision', () => {
    const stackNames = [...dev.templates, ...prod.templates].map((x) => x.stackName);
    expect(new Set(stackNames).size).toBe(stackNames.length);
    expect(stackNames.filter((n) => n.startsWith('Ctr-dev-'))).toHaveLength(dev.templates.length);
    const devNames = physicalNames(dev);
    const prodNames = physicalNames(prod);
    expect(devNames.length).toBeGreaterThan(10);
    expect(devNames.filter((n) => prodNames.includes(n))).toEqual([]);
    for (const n of devNames) expect(n, n).not.toMatch(/\bctr-prod\b/);
  });

  it('prefixes tables, key alias, secret, API, alarms and dashboard', () => {
    const data = dev.templates.find((x) => x.stackName === 'Ctr-dev-Data')!.t;
    data.hasResourceProperties('AWS::SecretsManager::Secret', { Name: 'ctr-dev/provider-credentials' });
    for (const r of Object.values(data.findResources('AWS::DynamoDB::GlobalTable'))) expect(r.Properties.TableName).toMatch(/^ctr-dev-/);
    for (const { t } of dev.templates.filter((x) => x.stackName.includes('-Key-')))
      t.hasResourceProperties('AWS::KMS::Alias', { AliasName: 'alias/ctr-dev-data' });
    for (const { t } of dev.templates.filter((x) => x.stackName.includes('-Router-'))) {
      t.hasResourceProperties('AWS::ApiGateway::RestApi', { Name: 'ctr-dev-router' });
      t.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: Match.stringLikeRegexp('^ctr-dev-router-') });
      for (const a of Object.values(t.findResources('AWS::CloudWatch::Alarm'))) expect(a.Properties.AlarmName).toMatch(/^ctr-dev-router-/);
    }
  });

  it('takes alarm e-mail, budget alerts and the API Gateway account role from the config', () => {
    for (const { t } of dev.templates.filter((x) => x.stackName.includes('-Router-'))) {
      t.resourceCountIs('AWS::ApiGateway::Account', 0);
      t.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'dev@example.com' });
    }
    for (const { t } of prod.templates.filter((x) => x.stackName.includes('-Router-'))) {
      t.resourceCountIs('AWS::ApiGateway::Account', 1);
      t.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'https', Endpoint: 'https://hooks.example.com/ctr' });
      // The budget-alert topic is encrypted with a customer-managed key.
      t.hasResourceProperties('AWS::SNS::Topic', { DisplayName: 'Cheap Token Router budget alerts', KmsMasterKeyId: Match.anyValue() });
      t.hasResourceProperties('AWS::Lambda::Function', {
        Environment: {
          Variables: Match.objectLike({ CTR_BUDGET_ALERT_THRESHOLDS: '50,80,100', CTR_BUDGET_ALERT_TOPIC_ARN: Match.anyValue() }),
        },
      });
    }
  });

  it('never nests Fn::GetStackOutput inside another intrinsic function', () => {
    for (const { stackName, json } of [...dev.templates, ...prod.templates]) {
      const nested: string[] = [];
      const walk = (v: unknown, insideIntrinsic: boolean) => {
        if (Array.isArray(v)) {
          for (const x of v) walk(x, insideIntrinsic);
          return;
        }
        if (!v || typeof v !== 'object') return;
        for (const [k, x] of Object.entries(v)) {
          if (k === 'Fn::GetStackOutput' && insideIntrinsic) nested.push(JSON.stringify(v).slice(0, 120));
          walk(x, insideIntrinsic || (k.startsWith('Fn::') && k !== 'Fn::GetStackOutput'));
        }
      };
      walk(JSON.parse(json), false);
      expect(nested, stackName).toEqual([]);
    }
  });

  it('replica regions read the secret by name and may read only `<name>-??????` in their region', () => {
    const config = base();
    for (const region of config.replicaRegions) {
      const { t } = dev.templates.find((x) => x.stackName === `Ctr-dev-Router-${region}`)!;
      t.hasResourceProperties('AWS::Lambda::Function', {
        Environment: { Variables: Match.objectLike({ CTR_PROVIDER_SECRET_ARN: 'ctr-dev/provider-credentials' }) },
      });
      t.hasResourceProperties('AWS::IAM::Policy', {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Sid: 'ReadProviderSecret',
              Resource: {
                'Fn::Join': [
                  '',
                  ['arn:', { Ref: 'AWS::Partition' }, `:secretsmanager:${region}:111122223333:secret:ctr-dev/provider-credentials-??????`],
                ],
              },
            }),
          ]),
        },
      });
    }
  });
});

describe('deployment section of the config', () => {
  it('has defaults: prefix ctr, 256 MB, WAF off, tracing off, no budget topic', () => {
    const d = base().deployment;
    expect(d).toMatchObject({
      namePrefix: 'ctr',
      memorySizeMb: 256,
      waf: { enabled: false },
      tracing: false,
      budgetAlerts: { enabled: false, thresholdsPercent: [50, 80, 100] },
    });
  });

  it('names each invalid field', () => {
    expect(() =>
      withDeployment(base(), {
        namePrefix: 'Bad_Prefix',
        memorySizeMb: 64,
        alarmEmail: 'nope',
        budgetAlerts: { webhookUrl: 'http://insecure.example.com' },
      }),
    ).toThrow(
      /deployment\.namePrefix[\s\S]*deployment\.memorySizeMb[\s\S]*deployment\.alarmEmail[\s\S]*deployment\.budgetAlerts\.webhookUrl/,
    );
  });

  it('is published in the JSON Schema', () => {
    const schema = JSON.parse(readFileSync(new URL('../../config/router-config.schema.json', import.meta.url), 'utf8'));
    expect(Object.keys(schema.properties.deployment.properties).sort()).toEqual(
      [
        'alarmEmail',
        'budgetAlerts',
        'dashboard',
        'manageApiGatewayAccountRole',
        'mockInCloud',
        'memorySizeMb',
        'namePrefix',
        'stackPrefix',
        'tracing',
        'waf',
      ].sort(),
    );
  });

  it('WAF, memory and tracing follow the config', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const [s] = synthAll(
      app,
      withDeployment(base(), { namePrefix: 'ctr-x', memorySizeMb: 512, tracing: true, waf: { enabled: true, rateLimitPer5Min: 500 } }),
    );
    for (const { t } of s!.templates.filter((x) => x.stackName.includes('-Router-'))) {
      t.resourceCountIs('AWS::WAFv2::WebACL', 1);
      t.hasResourceProperties('AWS::WAFv2::WebACL', {
        Rules: Match.arrayWith([Match.objectLike({ Statement: { RateBasedStatement: Match.objectLike({ Limit: 500 }) } })]),
      });
      // The X-Ray grant: a policy of each function's role, the only one with a `*` resource, created before the function.
      const xray = t.findResources('AWS::IAM::Policy', {
        Properties: {
          PolicyDocument: {
            Statement: [Match.objectLike({ Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'], Resource: '*' })],
          },
        },
      });
      const policyOfRole = new Map(Object.entries(xray).map(([id, p]) => [(p.Properties.Roles as { Ref: string }[])[0]!.Ref, id]));
      for (const f of Object.values(t.findResources('AWS::Lambda::Function'))) {
        expect(f.Properties.MemorySize).toBe(512);
        expect(f.Properties.TracingConfig).toEqual({ Mode: 'Active' });
        expect(f.Properties.Environment.Variables.POWERTOOLS_TRACE_ENABLED).toBe('true');
        const policy = policyOfRole.get(f.Properties.Role['Fn::GetAtt'][0]);
        expect(policy).toBeDefined();
        expect(f.DependsOn).toContain(policy);
      }
      expect(policyOfRole.size).toBe(Object.keys(t.findResources('AWS::Lambda::Function')).length);
    }
  }, 120_000);
});

describe('RouterFunction with a role of its own', () => {
  it('traced: the role gets the X-Ray grant Lambda would give it', () => {
    // Prepare
    const config = base();
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new Stack(app, 'OwnRole', { env: { region: config.primaryRegion } });
    const role = new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    const data = standaloneData(config, config.primaryRegion);
    const logGroup = new logs.LogGroup(stack, 'Logs');
    // Act
    new RouterFunction(stack, 'Fn', {
      functionName: 'api',
      config,
      data,
      role,
      logGroup,
      timeout: Duration.seconds(29),
      description: 'x',
      tracing: true,
    });
    // Assess
    const t = Template.fromStack(stack);
    t.hasResourceProperties('AWS::Lambda::Function', { TracingConfig: { Mode: 'Active' } });
    t.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: logicalIdOf(role) }],
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({ Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'], Resource: '*' })]),
      },
    });
  });
});
