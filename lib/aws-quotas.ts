/**
 * AWS service quotas that a synthesized template can break, checked at synth so that a deploy
 * does not fail (and roll back) on them: IAM policy sizes and attachments per role,
 * CloudFormation's per-template counts and body size, Lambda's environment size, physical name
 * lengths and the resources of a REST API.
 *
 * The sizes are computed from the template as CloudFormation will submit it: IAM counts a policy
 * document's JSON without whitespace, after CloudFormation resolved its intrinsic functions, so
 * each `Ref` / `Fn::GetAtt` / `Fn::Sub` … is counted at the longest value it can take
 * (`longestValue`). Pure functions, so each size is unit-testable; `AwsQuotaChecks` runs them as a
 * policy-validation plugin over every template of an app.
 */
import { readFileSync, statSync } from 'node:fs';
import {
  type IPolicyValidationContext,
  type IPolicyValidationPlugin,
  type PolicyValidationPluginReport,
  type PolicyViolation,
  Stage,
  Validations,
} from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/** The quotas checked, with AWS's default values. */
export const AWS_QUOTAS = {
  /** IAM: characters of one managed policy document, whitespace excluded. */
  managedPolicySize: 6_144,
  /** IAM: characters of all inline policies of one role together, whitespace excluded. */
  inlinePolicySizePerRole: 10_240,
  /** IAM: managed policies attached to one role (adjustable; 10 by default). */
  managedPoliciesPerRole: 10,
  /** CloudFormation: resources per template. */
  resourcesPerTemplate: 500,
  /** CloudFormation: outputs per template. */
  outputsPerTemplate: 200,
  /** CloudFormation: parameters per template. */
  parametersPerTemplate: 200,
  /** CloudFormation: bytes of a template body uploaded through S3 (1 MB). */
  templateBodyBytes: 1_000_000,
  /** Lambda: bytes of one function's environment variables together (4 KB). */
  lambdaEnvironmentBytes: 4_096,
  /** API Gateway: resources (paths) of one REST API (adjustable; 300 by default). */
  restApiResources: 300,
} as const;

/**
 * The longest physical name AWS accepts, by resource type: the property that holds it and its
 * maximum length in characters (each service's API reference).
 */
export const NAME_LENGTHS: Readonly<Record<string, { readonly property: string; readonly max: number }>> = {
  'AWS::IAM::Role': { property: 'RoleName', max: 64 },
  'AWS::IAM::ManagedPolicy': { property: 'ManagedPolicyName', max: 128 },
  'AWS::Lambda::Function': { property: 'FunctionName', max: 64 },
  'AWS::SQS::Queue': { property: 'QueueName', max: 80 },
  'AWS::SNS::Topic': { property: 'TopicName', max: 256 },
  'AWS::DynamoDB::Table': { property: 'TableName', max: 255 },
  'AWS::DynamoDB::GlobalTable': { property: 'TableName', max: 255 },
  'AWS::KMS::Alias': { property: 'AliasName', max: 256 },
  'AWS::SecretsManager::Secret': { property: 'Name', max: 512 },
  'AWS::CloudWatch::Alarm': { property: 'AlarmName', max: 255 },
  'AWS::CloudWatch::Dashboard': { property: 'DashboardName', max: 255 },
  'AWS::Logs::LogGroup': { property: 'LogGroupName', max: 512 },
  'AWS::WAFv2::WebACL': { property: 'Name', max: 128 },
};

export type AwsQuotaId = keyof typeof AWS_QUOTAS | 'nameLength';

/** What each quota limits, as a report names it. */
const QUOTA_NAMES: Record<AwsQuotaId, string> = {
  managedPolicySize: 'IAM managed policy size',
  inlinePolicySizePerRole: 'IAM inline policies per role (total size)',
  managedPoliciesPerRole: 'IAM managed policies attached per role',
  resourcesPerTemplate: 'CloudFormation resources per template',
  outputsPerTemplate: 'CloudFormation outputs per template',
  parametersPerTemplate: 'CloudFormation parameters per template',
  templateBodyBytes: 'CloudFormation template body size (S3)',
  lambdaEnvironmentBytes: 'Lambda environment variables size',
  restApiResources: 'API Gateway resources per REST API',
  nameLength: 'name length',
};

/**
 * The longest value of each pseudo parameter: an account id has 12 digits, the longest region
 * names have 14 characters (ap-southeast-2), the longest partition is `aws-us-gov`, the longest
 * URL suffix `amazonaws.com.cn`.
 */
export const PSEUDO_PARAMETER_LENGTHS: Readonly<Record<string, number>> = {
  'AWS::AccountId': 12,
  'AWS::Region': 14,
  'AWS::Partition': 10,
  'AWS::URLSuffix': 16,
  'AWS::StackName': 128,
  'AWS::StackId': 256,
  'AWS::NoValue': 0,
};

/** A `Ref` to a resource or parameter (a name, id or queue URL): AWS names stay within 128 characters but for a few. */
export const REF_LENGTH = 128;
/** Any other value not known at synth (`Fn::GetAtt`, `Fn::GetStackOutput`, `Fn::ImportValue` …): an ARN or URL with a long name. */
export const UNKNOWN_LENGTH = 256;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const isIntrinsic = (v: Json): v is { [key: string]: Json } =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === 1 && /^(Ref|Fn::.+)$/.test(Object.keys(v)[0]!);

/** Characters of a literal string once inside a JSON document, without its quotes (escapes count). */
const literalLength = (s: string) => JSON.stringify(s).length - 2;

/**
 * The longest string an intrinsic function (or a literal) can resolve to, in characters, quotes excluded.
 *
 * @example
 * longestValue({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:::b']] }) // 4 + 10 + 7 = 21
 */
export function longestValue(value: Json): number {
  if (typeof value === 'string') return literalLength(value);
  if (value === null || typeof value !== 'object') return JSON.stringify(value).length;
  if (Array.isArray(value)) return compactJsonLength(value);
  if (!isIntrinsic(value)) return compactJsonLength(value);
  const [fn, arg] = Object.entries(value)[0]!;
  switch (fn) {
    case 'Ref':
      return typeof arg === 'string' ? (PSEUDO_PARAMETER_LENGTHS[arg] ?? REF_LENGTH) : UNKNOWN_LENGTH;
    case 'Fn::Join': {
      const [delimiter, parts] = Array.isArray(arg) ? arg : [];
      if (typeof delimiter !== 'string' || !Array.isArray(parts)) return UNKNOWN_LENGTH;
      return parts.reduce<number>((n, p) => n + longestValue(p), 0) + literalLength(delimiter) * Math.max(0, parts.length - 1);
    }
    case 'Fn::Sub': {
      const [template, vars] = typeof arg === 'string' ? [arg, {}] : Array.isArray(arg) ? [arg[0], arg[1] ?? {}] : [undefined, {}];
      if (typeof template !== 'string') return UNKNOWN_LENGTH;
      const variables = (typeof vars === 'object' && vars !== null && !Array.isArray(vars) ? vars : {}) as Record<string, Json>;
      let n = 0;
      const rest = template.replace(/\$\{(!?)([^}]*)\}/g, (_, bang: string, name: string) => {
        if (bang) return `\${${name}}`; // ${!Literal} is written as ${Literal}
        if (name in variables) n += longestValue(variables[name]!);
        else if (name in PSEUDO_PARAMETER_LENGTHS) n += PSEUDO_PARAMETER_LENGTHS[name]!;
        else n += name.includes('.') ? UNKNOWN_LENGTH : REF_LENGTH;
        return '';
      });
      return n + literalLength(rest);
    }
    case 'Fn::If':
      return Array.isArray(arg) ? Math.max(longestValue(arg[1] ?? ''), longestValue(arg[2] ?? '')) : UNKNOWN_LENGTH;
    case 'Fn::Select': {
      const list = Array.isArray(arg) ? arg[1] : undefined;
      return Array.isArray(list) && list.length > 0 ? Math.max(...list.map(longestValue)) : UNKNOWN_LENGTH;
    }
    case 'Fn::Base64':
      return Math.ceil(longestValue(arg) / 3) * 4;
    default:
      return UNKNOWN_LENGTH;
  }
}

/**
 * Length of a JSON value written without whitespace, each intrinsic function counted as the
 * quoted string it resolves to (`longestValue`): how IAM measures a policy document.
 *
 * @example
 * compactJsonLength({ Resource: { Ref: 'AWS::AccountId' } }) // '{"Resource":"123456789012"}'.length === 27
 */
export function compactJsonLength(value: Json): number {
  if (value === null || typeof value !== 'object') return JSON.stringify(value).length;
  if (Array.isArray(value)) return 2 + value.reduce<number>((n, v) => n + compactJsonLength(v), 0) + Math.max(0, value.length - 1);
  if (isIntrinsic(value)) return longestValue(value) + 2;
  const entries = Object.entries(value) as [string, Json][];
  return 2 + entries.reduce((n, [k, v]) => n + JSON.stringify(k).length + 1 + compactJsonLength(v), 0) + Math.max(0, entries.length - 1);
}

/** One measured quota of one resource (or template). */
export interface QuotaUsage {
  readonly quota: AwsQuotaId;
  /** Logical id of the resource measured; undefined for a template-wide count. */
  readonly logicalId?: string;
  readonly used: number;
  readonly limit: number;
  /** What is measured, when the quota alone does not say (e.g. `AWS::IAM::Role RoleName`). */
  readonly what?: string;
}

interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, Json>;
}
/** The parts of a CloudFormation template the checks read. */
export interface CfnTemplate {
  readonly Resources?: Record<string, CfnResource>;
  readonly Outputs?: Record<string, unknown>;
  readonly Parameters?: Record<string, unknown>;
}

/** The logical ids a list of references names by `Ref` (a policy's roles, a resource's API). */
const roleRefs = (roles: Json | undefined): string[] =>
  Array.isArray(roles) ? roles.flatMap((r) => (isIntrinsic(r) && typeof r.Ref === 'string' ? [r.Ref] : [])) : [];

/**
 * Every quota of `templateQuotaChecks` measured on one template: one entry per managed policy,
 * role, function, and template-wide count (`templateBytes`, when given, for the body size).
 *
 * @example
 * quotaUsage(JSON.parse(readFileSync('cdk.out/Ctr-Router-us-east-1.template.json', 'utf8')))
 *   .filter((u) => u.used > u.limit) // what CloudFormation would refuse
 */
export function quotaUsage(template: CfnTemplate, templateBytes?: number): QuotaUsage[] {
  const usage: QuotaUsage[] = [];
  const resources = Object.entries(template.Resources ?? {});
  const inlineSize = new Map<string, number>();
  const managedCount = new Map<string, number>();
  const add = (m: Map<string, number>, role: string, n: number) => m.set(role, (m.get(role) ?? 0) + n);
  const apiResources = new Map<string, number>();
  for (const [id, r] of resources) {
    const p = r.Properties ?? {};
    const name = NAME_LENGTHS[r.Type];
    if (name && p[name.property] !== undefined)
      usage.push({
        quota: 'nameLength',
        logicalId: id,
        used: longestValue(p[name.property]!),
        limit: name.max,
        what: `${r.Type} ${name.property}`,
      });
    switch (r.Type) {
      case 'AWS::ApiGateway::RestApi':
        apiResources.set(id, apiResources.get(id) ?? 0);
        break;
      case 'AWS::ApiGateway::Resource':
        for (const api of roleRefs([p.RestApiId ?? null])) add(apiResources, api, 1);
        break;
      case 'AWS::IAM::ManagedPolicy':
        usage.push({
          quota: 'managedPolicySize',
          logicalId: id,
          used: compactJsonLength(p.PolicyDocument ?? {}),
          limit: AWS_QUOTAS.managedPolicySize,
        });
        for (const role of roleRefs(p.Roles)) add(managedCount, role, 1);
        break;
      case 'AWS::IAM::Policy':
      case 'AWS::IAM::RolePolicy':
        for (const role of [...roleRefs(p.Roles), ...(typeof p.RoleName === 'object' ? roleRefs([p.RoleName]) : [])])
          add(inlineSize, role, compactJsonLength(p.PolicyDocument ?? {}));
        break;
      case 'AWS::IAM::Role': {
        inlineSize.set(id, inlineSize.get(id) ?? 0);
        managedCount.set(id, managedCount.get(id) ?? 0);
        if (Array.isArray(p.Policies))
          for (const policy of p.Policies)
            add(inlineSize, id, compactJsonLength((policy as { PolicyDocument?: Json }).PolicyDocument ?? {}));
        if (Array.isArray(p.ManagedPolicyArns)) add(managedCount, id, p.ManagedPolicyArns.length);
        break;
      }
      case 'AWS::Lambda::Function': {
        const variables = (p.Environment as { Variables?: Json } | undefined)?.Variables;
        if (variables !== undefined)
          usage.push({
            quota: 'lambdaEnvironmentBytes',
            logicalId: id,
            used: compactJsonLength(variables),
            limit: AWS_QUOTAS.lambdaEnvironmentBytes,
          });
        break;
      }
    }
  }
  const isRole = (id: string) => template.Resources?.[id]?.Type === 'AWS::IAM::Role';
  for (const [role, used] of inlineSize)
    if (isRole(role)) usage.push({ quota: 'inlinePolicySizePerRole', logicalId: role, used, limit: AWS_QUOTAS.inlinePolicySizePerRole });
  for (const [role, used] of managedCount)
    if (isRole(role)) usage.push({ quota: 'managedPoliciesPerRole', logicalId: role, used, limit: AWS_QUOTAS.managedPoliciesPerRole });
  for (const [api, used] of apiResources)
    usage.push({ quota: 'restApiResources', logicalId: api, used, limit: AWS_QUOTAS.restApiResources });
  usage.push({ quota: 'resourcesPerTemplate', used: resources.length, limit: AWS_QUOTAS.resourcesPerTemplate });
  usage.push({ quota: 'outputsPerTemplate', used: Object.keys(template.Outputs ?? {}).length, limit: AWS_QUOTAS.outputsPerTemplate });
  usage.push({
    quota: 'parametersPerTemplate',
    used: Object.keys(template.Parameters ?? {}).length,
    limit: AWS_QUOTAS.parametersPerTemplate,
  });
  if (templateBytes !== undefined) usage.push({ quota: 'templateBodyBytes', used: templateBytes, limit: AWS_QUOTAS.templateBodyBytes });
  return usage;
}

/**
 * One line per quota a template exceeds, naming the resource: what CloudFormation or the service
 * would refuse at deploy time.
 *
 * @example
 * quotaViolations(template, 'Ctr-Router-us-east-1')
 * // ['Ctr-Router-us-east-1/ChatPolicy: IAM managed policy size is 8,567, above the quota of 6,144']
 */
export function quotaViolations(template: CfnTemplate, where: string, templateBytes?: number): string[] {
  return quotaUsage(template, templateBytes)
    .filter((u) => u.used > u.limit)
    .map((u) => `${where}${u.logicalId ? `/${u.logicalId}` : ''}: ${describeUsage(u)}`);
}

/** A usage as a report says it, e.g. `IAM managed policy size is 8,567, above the quota of 6,144`. */
export function describeUsage(u: QuotaUsage): string {
  const n = (v: number) => v.toLocaleString('en-US');
  return `${QUOTA_NAMES[u.quota]}${u.what ? ` (${u.what})` : ''} is ${n(u.used)}, ${u.used > u.limit ? 'above' : 'within'} the quota of ${n(u.limit)}`;
}

/**
 * The quota checks as a policy-validation plugin: synthesis fails, naming each resource, when a
 * template exceeds a quota.
 *
 * @example
 * Validations.of(app).addPlugins(new AwsQuotaChecks());
 */
export class AwsQuotaChecks implements IPolicyValidationPlugin {
  public readonly name = 'AwsQuotas';
  public readonly ruleIds = [...Object.keys(AWS_QUOTAS), 'nameLength'];

  public validate(context: IPolicyValidationContext): PolicyValidationPluginReport {
    const violations: PolicyViolation[] = [];
    for (const templatePath of context.templatePaths) {
      const template = JSON.parse(readFileSync(templatePath, 'utf8')) as CfnTemplate;
      for (const u of quotaUsage(template, statSync(templatePath).size).filter((x) => x.used > x.limit)) {
        violations.push({
          ruleName: `AwsQuota-${u.quota}`,
          description: describeUsage(u),
          fix: 'Split the resource (or the stack), or ask AWS for a higher quota where it is adjustable.',
          violatingResources: [{ resourceLogicalId: u.logicalId, templatePath, locations: u.logicalId ? ['Properties'] : [] }],
        });
      }
    }
    return { success: violations.length === 0, violations };
  }
}

const withQuotaChecks = new WeakSet<Stage>();

/**
 * Registers `AwsQuotaChecks` on the stage (or app) that holds `scope`, once per stage.
 *
 * @example
 * addAwsQuotaChecks(this); // in a construct: every template of its app is checked at synth
 */
export function addAwsQuotaChecks(scope: IConstruct): void {
  const stage = Stage.isStage(scope) ? scope : Stage.of(scope);
  if (!stage || withQuotaChecks.has(stage)) return;
  withQuotaChecks.add(stage);
  Validations.of(stage).addPlugins(new AwsQuotaChecks());
}
