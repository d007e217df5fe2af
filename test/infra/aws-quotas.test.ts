/**
 * AWS quotas at synth (`lib/aws-quotas.ts`): the sizes as IAM, CloudFormation and Lambda count
 * them, a synth that fails naming the resource over a quota, and the shipped catalog and a
 * 300-offer Bedrock catalog both within every quota, with no model granted that no offer uses.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { App, CfnOutput, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG_PATH, loadConfigFile, parseConfig } from '../../lambdas/core/config';
import {
  AWS_QUOTAS,
  addAwsQuotaChecks,
  type CfnTemplate,
  compactJsonLength,
  describeUsage,
  longestValue,
  type QuotaUsage,
  quotaUsage,
  quotaViolations,
} from '../../lib/aws-quotas';
import { addCheapTokenRouterStacks } from '../../lib/cheap-token-router-stacks';
import { EXAMPLE_CONFIG_PATH, logicalIdOf, standaloneRouter } from './fixture';

const partition = { Ref: 'AWS::Partition' };
const account = { Ref: 'AWS::AccountId' };
/** A policy document with `n` distinct 60-character resources. */
const documentWith = (n: number) => ({
  Version: '2012-10-17',
  Statement: [
    {
      Effect: 'Allow',
      Action: 's3:GetObject',
      Resource: Array.from({ length: n }, (_, i) => ({
        'Fn::Join': ['', ['arn:', partition, `:s3:::bucket/${String(i).padStart(40, '0')}`]],
      })),
    },
  ],
});

describe('sizes as AWS counts them', () => {
  it('a document is counted without whitespace, pseudo parameters at their longest value', () => {
    // Prepare
    const doc = { Resource: { 'Fn::Join': [':', ['arn', partition, 'iam', '', account, 'root']] } };
    // Act / Assess
    expect(compactJsonLength(doc)).toBe('{"Resource":"arn:aws-us-gov:iam::123456789012:root"}'.length);
    expect(compactJsonLength({ a: [1, true, null, 'x"y'] })).toBe(JSON.stringify({ a: [1, true, null, 'x"y'] }).length);
  });

  it('Fn::Sub counts its variables and pseudo parameters, and an escaped variable as written', () => {
    /** `${name}` as Fn::Sub writes a variable. */
    const v = (name: string) => `\${${name}}`;
    expect(longestValue({ 'Fn::Sub': `arn:${v('AWS::Partition')}:sqs:${v('AWS::Region')}:${v('AWS::AccountId')}:q` })).toBe(
      'arn:aws-us-gov:sqs:ap-southeast-2:123456789012:q'.length,
    );
    expect(longestValue({ 'Fn::Sub': [`${v('X')}-${v('!Y')}`, { X: 'abc' }] })).toBe(`abc-${v('Y')}`.length);
    expect(longestValue({ 'Fn::If': ['C', 'short', 'longer one'] })).toBe('longer one'.length);
  });

  it('a managed policy over 6,144 characters is named, with its size and the quota', () => {
    // Prepare: 100 resources of about 70 characters
    const template: CfnTemplate = {
      Resources: {
        Role: { Type: 'AWS::IAM::Role', Properties: {} },
        BigPolicy: { Type: 'AWS::IAM::ManagedPolicy', Properties: { PolicyDocument: documentWith(100), Roles: [{ Ref: 'Role' }] } },
        SmallPolicy: { Type: 'AWS::IAM::ManagedPolicy', Properties: { PolicyDocument: documentWith(10), Roles: [{ Ref: 'Role' }] } },
      },
    };
    // Act
    const violations = quotaViolations(template, 'Stack');
    // Assess
    expect(violations).toHaveLength(1);
    expect(violations[0]).toMatch(/^Stack\/BigPolicy: IAM managed policy size is 7,\d{3}, above the quota of 6,144$/);
  });

  it("a role's inline policies are summed, and its managed policies counted", () => {
    const template: CfnTemplate = {
      Resources: {
        Role: {
          Type: 'AWS::IAM::Role',
          Properties: { Policies: [{ PolicyDocument: documentWith(80) }], ManagedPolicyArns: Array(8).fill('arn:aws:iam::aws:policy/x') },
        },
        Inline: { Type: 'AWS::IAM::Policy', Properties: { PolicyDocument: documentWith(80), Roles: [{ Ref: 'Role' }] } },
        ...Object.fromEntries(
          [1, 2, 3].map((i) => [
            `M${i}`,
            { Type: 'AWS::IAM::ManagedPolicy', Properties: { PolicyDocument: documentWith(1), Roles: [{ Ref: 'Role' }] } },
          ]),
        ),
      },
    };
    const byQuota = (q: QuotaUsage['quota']) => quotaUsage(template).find((u) => u.quota === q && u.logicalId === 'Role')!;
    expect(byQuota('inlinePolicySizePerRole').used).toBe(2 * compactJsonLength(documentWith(80)));
    expect(byQuota('managedPoliciesPerRole').used).toBe(11);
    expect(quotaViolations(template, 'S')).toEqual([
      expect.stringMatching(/^S\/Role: IAM inline policies per role \(total size\) is 1\d,\d{3}, above the quota of 10,240$/),
      'S/Role: IAM managed policies attached per role is 11, above the quota of 10',
    ]);
  });

  it('template-wide counts, the body size and a Lambda environment over 4 KB', () => {
    const template: CfnTemplate = {
      Resources: {
        ...Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`Q${i}`, { Type: 'AWS::SQS::Queue' }])),
        Fn: { Type: 'AWS::Lambda::Function', Properties: { Environment: { Variables: { BIG: 'x'.repeat(4_090) } } } },
      },
      Outputs: Object.fromEntries(Array.from({ length: 201 }, (_, i) => [`O${i}`, {}])),
      Parameters: { P: {} },
    };
    expect(quotaViolations(template, 'S', 1_200_000)).toEqual([
      'S/Fn: Lambda environment variables size is 4,100, above the quota of 4,096',
      'S: CloudFormation resources per template is 501, above the quota of 500',
      'S: CloudFormation outputs per template is 201, above the quota of 200',
      'S: CloudFormation template body size (S3) is 1,200,000, above the quota of 1,000,000',
    ]);
  });

  it('physical names longer than the service accepts, and REST API resources over 300', () => {
    const template: CfnTemplate = {
      Resources: {
        Fn: { Type: 'AWS::Lambda::Function', Properties: { FunctionName: { 'Fn::Join': ['-', ['router', { Ref: 'AWS::StackName' }]] } } },
        Short: { Type: 'AWS::IAM::Role', Properties: { RoleName: 'ctr-chat' } },
        Api: { Type: 'AWS::ApiGateway::RestApi', Properties: { Name: 'api' } },
        ...Object.fromEntries(
          Array.from({ length: 301 }, (_, i) => [
            `R${i}`,
            { Type: 'AWS::ApiGateway::Resource', Properties: { RestApiId: { Ref: 'Api' } } },
          ]),
        ),
      },
    };
    expect(quotaViolations(template, 'S')).toEqual([
      'S/Fn: name length (AWS::Lambda::Function FunctionName) is 135, above the quota of 64',
      'S/Api: API Gateway resources per REST API is 301, above the quota of 300',
    ]);
  });

  it('synthesis fails naming the construct whose policy is over the quota', () => {
    // Prepare
    const app = new App();
    const stack = new Stack(app, 'Quotas');
    const role = new iam.Role(stack, 'Role', { assumedBy: new iam.AccountRootPrincipal() });
    const resources = Array.from({ length: 100 }, (_, i) => `arn:${stack.partition}:s3:::bucket/${String(i).padStart(40, '0')}`);
    new iam.ManagedPolicy(stack, 'TooBig', {
      roles: [role],
      statements: [new iam.PolicyStatement({ actions: ['s3:GetObject'], resources })],
    });
    new CfnOutput(stack, 'Out', { value: 'x' });
    addAwsQuotaChecks(stack);
    // Act / Assess
    expect(() => app.synth()).toThrow(/IAM managed policy size is 7,\d{3}, above the quota of 6,144[\s\S]*Quotas\/TooBig/);
  });
});

/** Every `bedrock:` resource of the managed policies of a template, as ARN text (`${AWS::Partition}` for a reference). */
function bedrockResources(template: CfnTemplate): string[] {
  const text = (v: unknown): string =>
    typeof v === 'string'
      ? v
      : (v as { Ref?: string }).Ref
        ? `\${${(v as { Ref: string }).Ref}}`
        : ((v as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1]
            .map(text)
            .join((v as { 'Fn::Join': [string] })['Fn::Join'][0]) as string);
  return Object.values(template.Resources ?? {})
    .filter((r) => r.Type === 'AWS::IAM::ManagedPolicy')
    .flatMap((r) => (r.Properties!.PolicyDocument as { Statement: { Resource: unknown }[] }).Statement)
    .flatMap((s) => [s.Resource].flat().map(text));
}

/** The largest use of a quota over some templates. */
function largest(usages: readonly QuotaUsage[], quota: QuotaUsage['quota']): QuotaUsage {
  return usages.filter((u) => u.quota === quota).reduce((a, b) => (b.used > a.used ? b : a));
}

describe('the shipped config', () => {
  let usages: QuotaUsage[];
  let bedrock: string[];
  beforeAll(() => {
    // Prepare / Act: the quota checks run in this synth and would throw on a violation.
    const config = loadConfigFile(DEFAULT_CONFIG_PATH);
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stacks = addCheapTokenRouterStacks(app, { config });
    const dir = app.synth().directory;
    const all = [...Object.values(stacks.keyStacks), stacks.dataStack, ...Object.values(stacks.routerStacks)];
    usages = [];
    bedrock = [];
    for (const stack of all) {
      const path = join(dir, stack.templateFile);
      const template = JSON.parse(readFileSync(path, 'utf8')) as CfnTemplate;
      usages.push(...quotaUsage(template, statSync(path).size));
      if (stack === stacks.routerStacks[config.primaryRegion]) bedrock = bedrockResources(template);
    }
  }, 120_000);

  it('is within every quota; its largest IAM policies are reported under theirs', () => {
    expect(usages.filter((u) => u.used > u.limit)).toEqual([]);
    const managed = largest(usages, 'managedPolicySize');
    const inline = largest(usages, 'inlinePolicySizePerRole');
    console.info(`largest managed policy (${managed.logicalId}): ${describeUsage(managed)}`);
    console.info(`largest inline policies of a role (${inline.logicalId}): ${describeUsage(inline)}`);
    expect(managed.used).toBeLessThanOrEqual(AWS_QUOTAS.managedPolicySize);
    expect(inline.used).toBeLessThanOrEqual(AWS_QUOTAS.inlinePolicySizePerRole);
    expect(largest(usages, 'templateBodyBytes').used).toBeLessThan(AWS_QUOTAS.templateBodyBytes);
  });

  it('grants each Bedrock model its offers use, each once', () => {
    const config = loadConfigFile(DEFAULT_CONFIG_PATH);
    const bedrockIds = new Set(config.providers.filter((p) => p.kind === 'bedrock').map((p) => p.id));
    const offered = config.models.flatMap((m) => m.offers).filter((o) => bedrockIds.has(o.provider));
    expect(new Set(bedrock).size).toBe(bedrock.length);
    for (const o of offered)
      expect(
        bedrock.some((arn) => arn.endsWith(`/${o.upstreamModel}`)),
        o.upstreamModel,
      ).toBe(true);
  });
});

describe('a catalog of 300 Bedrock offers', () => {
  it('fits in managed policies within their quotas, granting only the offered models', () => {
    // Prepare: 150 cross-region inference profiles and 150 foundation models, with long ids.
    const raw = JSON.parse(readFileSync(EXAMPLE_CONFIG_PATH, 'utf8'));
    raw.providers.push({ id: 'bedrock', kind: 'bedrock', region: 'ap-southeast-2' });
    const ids = Array.from({ length: 300 }, (_, i) =>
      i % 2 === 0 ? `global.anthropic.claude-model-${i}-20250101-v1:0` : `mistral.a-long-model-name-${i}-instruct-v1:0`,
    );
    raw.models = [
      raw.models[0],
      ...ids.map((upstreamModel, i) => ({
        id: `m/${i}`,
        contextWindow: 8192,
        maxOutput: 1024,
        offers: [{ provider: 'bedrock', upstreamModel, price: { input: 1, output: 2 } }],
      })),
    ];
    raw.replicaRegions = ['ap-southeast-2'];
    // Act
    const { router, t } = standaloneRouter({}, { config: parseConfig(raw), region: 'ap-southeast-2' });
    const template = t.toJSON() as CfnTemplate;
    // Assess
    expect(quotaViolations(template, 'Standalone')).toEqual([]);
    const chatRole = logicalIdOf(router.functionRoles.chat);
    const usage = quotaUsage(template);
    const attached = usage.find((u) => u.quota === 'managedPoliciesPerRole' && u.logicalId === chatRole)!;
    expect(attached.used).toBeGreaterThan(1);
    expect(attached.used).toBeLessThanOrEqual(AWS_QUOTAS.managedPoliciesPerRole);
    const resources = bedrockResources(template);
    const allowed = new Set([
      ...ids.map((id) => (id.startsWith('global.') ? id.slice('global.'.length) : id)),
      ...ids.filter((id) => id.startsWith('global.')),
    ]);
    for (const arn of resources) {
      // One model per ARN: only the region may be a wildcard.
      expect(arn, arn).toMatch(
        /^arn:\$\{AWS::Partition\}:bedrock:(\*|ap-southeast-2):(\$\{AWS::AccountId\})?:(foundation-model|inference-profile)\/[^*]+$/,
      );
      expect(allowed.has(arn.slice(arn.indexOf('/') + 1)), arn).toBe(true);
    }
    expect(resources).toHaveLength(450);
  });
});
