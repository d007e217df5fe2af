/**
 * Regional routers: functions, API Gateway (streaming chat route, access-log format), log groups,
 * IAM, and the multi-region counter design (replica-region functions use the home region for the
 * limits table). Every assertion runs over every router stack of the two-replica example config.
 */
import { readFileSync } from 'node:fs';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../lambdas/core/config';
import { tableEnvVar, type TableId } from '../../lambdas/store/tables';
import { CheapTokenRouter } from '../../lib/cheap-token-router';
import { ACCESS_LOG_FIELDS } from '../../lib/router-api';
import { ROUTER_DEFAULTS } from '../../lib/cheap-token-router-defaults';
import { tableName } from '../../lib/naming';
import { HOME_REGION_TABLES, TABLE_ACCESS, type RouterFunctionName } from '../../lib/table-access';
import { bundles, EXAMPLE_CONFIG_PATH, resourcesOf, synthesizeRouter, type SynthesizedRouter } from './fixture';

let s: SynthesizedRouter;
beforeAll(() => {
  s = synthesizeRouter();
});

const routers = () => Object.entries(s.stacks.routerStacks).map(([region, stack]) => ({ region, stack, t: s.template(stack) }));

/** The newest even-numbered (LTS) Node.js runtime this aws-cdk-lib offers. */
function newestNodeLts(): string {
  const majors = lambda.Runtime.ALL.map((r) => /^nodejs(\d+)\.x$/.exec(r.name)?.[1])
    .filter((m): m is string => m !== undefined)
    .map(Number)
    .filter((m) => m % 2 === 0);
  return `nodejs${Math.max(...majors)}.x`;
}

/** The function whose role is `role`'s logical id, by the `ctr` description of its role. */
function functionsByName(t: Template): Map<RouterFunctionName, { fn: any; policy: any[] }> {
  const out = new Map<RouterFunctionName, { fn: any; policy: any[] }>();
  const roles = resourcesOf(t, 'AWS::IAM::Role');
  const policies = resourcesOf(t, 'AWS::IAM::Policy');
  for (const [, fn] of resourcesOf(t, 'AWS::Lambda::Function')) {
    const roleId: string = fn.Properties.Role['Fn::GetAtt'][0];
    const role = roles.find(([id]) => id === roleId)![1];
    const name = /Cheap Token Router (\w+) function/.exec(role.Properties.Description)![1] as RouterFunctionName;
    const statements = policies
      .filter(([, p]) => p.Properties.Roles.some((r: any) => r.Ref === roleId))
      .flatMap(([, p]) => p.Properties.PolicyDocument.Statement);
    out.set(name, { fn, policy: statements });
  }
  return out;
}

describe('router stacks', () => {
  it('exist in the primary region and every replica region', () => {
    expect(Object.keys(s.stacks.routerStacks).sort()).toEqual([s.config.primaryRegion, ...s.config.replicaRegions].sort());
  });

  it('every function: arm64, newest Node.js LTS runtime, small memory, JSON logs into its own log group', () => {
    for (const { region, t } of routers()) {
      const fns = resourcesOf(t, 'AWS::Lambda::Function');
      expect(fns, region).toHaveLength(3);
      const logGroupIds = resourcesOf(t, 'AWS::Logs::LogGroup').map(([id]) => id);
      for (const [id, fn] of fns) {
        expect(fn.Properties.Architectures, id).toEqual(['arm64']);
        expect(fn.Properties.Runtime, id).toBe(newestNodeLts());
        expect(fn.Properties.MemorySize, id).toBe(ROUTER_DEFAULTS.memorySizeMb);
        expect(fn.Properties.Handler, id).toBe('index.handler');
        expect(fn.Properties.LoggingConfig.LogFormat, id).toBe('JSON');
        expect(logGroupIds, id).toContain(fn.Properties.LoggingConfig.LogGroup.Ref);
      }
    }
  });

  it('every function gets the home region, and exactly the tables it uses', () => {
    for (const { region, t } of routers()) {
      for (const [name, { fn }] of functionsByName(t)) {
        const env: Record<string, unknown> = fn.Properties.Environment.Variables;
        expect(env.CTR_HOME_REGION, `${region} ${name}`).toBe(s.config.primaryRegion);
        const tableVars = Object.keys(env).filter((k) => k.startsWith('CTR_TABLE_'));
        const expected = Object.keys(TABLE_ACCESS[name]) as TableId[];
        expect(tableVars.sort(), `${region} ${name}`).toEqual(expected.map(tableEnvVar).sort());
        for (const id of expected) expect(env[tableEnvVar(id)]).toBe(tableName('ctr', id));
      }
    }
  });

  it('gives the provider secret to chat and api only; only admin creates data keys, chat and api only unwrap them, always with the account context', () => {
    for (const { region, t } of routers()) {
      const fns = functionsByName(t);
      for (const [name, { fn, policy }] of fns) {
        const env = fn.Properties.Environment.Variables;
        const readsSecret = policy.some((st) => st.Action === 'secretsmanager:GetSecretValue');
        expect(readsSecret, `${region} ${name}`).toBe(name === 'chat' || name === 'api');
        expect('CTR_PROVIDER_SECRET_ARN' in env).toBe(readsSecret);
        // Direct KMS use (not via Secrets Manager or DynamoDB) is for data keys only.
        const dataKeys = policy.filter((st) => JSON.stringify(st.Action).includes('kms:') && !st.Condition?.StringEquals);
        expect(dataKeys.length, `${region} ${name}`).toBe(1);
        const actions = [dataKeys[0]!.Action].flat().sort();
        expect(actions, `${region} ${name}`).toEqual(name === 'admin' ? ['kms:Decrypt', 'kms:GenerateDataKey'] : ['kms:Decrypt']);
        expect(dataKeys[0]!.Condition).toEqual({
          Null: { 'kms:EncryptionContextKeys': 'false' },
          'ForAllValues:StringEquals': { 'kms:EncryptionContextKeys': ['accountId'] },
        });
        expect('CTR_KMS_KEY_ARN' in env).toBe(true);
      }
    }
  });

  it('each function can build its runtime from exactly the environment the template gives it', async () => {
    const { createRuntime } = await import('../../lambdas/handlers/runtime');
    const { jsonLogger } = await import('../../lambdas/core/log');
    const { mockClient } = await import('aws-sdk-client-mock');
    const { SecretsManagerClient, GetSecretValueCommand } = await import('@aws-sdk/client-secrets-manager');
    const sm = mockClient(SecretsManagerClient);
    sm.on(GetSecretValueCommand).resolves({ SecretString: '{}' });
    try {
      for (const { region, t } of routers()) {
        for (const [name, { fn }] of functionsByName(t)) {
          // Tokens (ARNs from other stacks) become placeholder strings; plain values stay as synthesized.
          const env = Object.fromEntries(
            Object.entries(fn.Properties.Environment.Variables as Record<string, unknown>).map(([k, v]) => [k, typeof v === 'string' ? v : `arn:aws:placeholder:${k}`]),
          );
          const rt = await createRuntime({ ...env, AWS_REGION: region, CTR_CONFIG_JSON: JSON.stringify(s.config) }, jsonLogger(() => undefined));
          // Every table the runtime may touch for this function's routes resolves to a deployed table name.
          const used = Object.keys(TABLE_ACCESS[name]) as TableId[];
          for (const id of used) expect(rt.tables[id], `${region} ${name} ${id}`).toBe(tableName('ctr', id));
        }
      }
    } finally {
      sm.restore();
    }
  });

  it('inlines the validated config into every function bundle', () => {
    const code = [...bundles(s.outdir).values()];
    expect(code.length).toBeGreaterThanOrEqual(3);
    // Needs loadConfig() to read `process.env.CTR_CONFIG_JSON` literally, so esbuild's define can replace it.
    for (const c of code) {
      expect(c.includes('meta-llama/llama-3.1-8b-instruct') && c.includes('ap-southeast-2'), 'bundle carries the example config inline').toBe(true);
    }
  });
});

describe('API Gateway', () => {
  /** Methods with the path of their resource, resolved through the template (no logical ids assumed). */
  function methods(t: Template) {
    const resources = new Map(resourcesOf(t, 'AWS::ApiGateway::Resource'));
    const pathOf = (ref: any): string => {
      if (!ref?.Ref) return '';
      const r = resources.get(ref.Ref);
      return r ? `${pathOf(r.Properties.ParentId)}/${r.Properties.PathPart}` : '';
    };
    return resourcesOf(t, 'AWS::ApiGateway::Method').map(([, m]) => ({ path: pathOf(m.Properties.ResourceId), m: m.Properties }));
  }

  it('streams the chat routes with a long integration timeout, and buffers the others', () => {
    for (const { region, t } of routers()) {
      const all = methods(t);
      for (const path of ['/v1/chat/completions', '/v1/messages']) {
        const chat = all.find((x) => x.path === path && x.m.HttpMethod === 'POST');
        expect(chat, `${region} ${path}`).toBeDefined();
        expect(chat!.m.Integration.ResponseTransferMode).toBe('STREAM');
        expect(chat!.m.Integration.Type).toBe('AWS_PROXY');
        expect(JSON.stringify(chat!.m.Integration.Uri)).toContain('response-streaming-invocations');
        expect(chat!.m.Integration.TimeoutInMillis).toBe(ROUTER_DEFAULTS.streamTimeoutSeconds * 1000);
      }
      for (const other of all.filter((x) => !['/v1/chat/completions', '/v1/messages'].includes(x.path))) {
        expect(other.m.Integration.ResponseTransferMode ?? 'BUFFERED', other.path).toBe('BUFFERED');
      }
    }
  });

  it('authorizes admin routes with IAM and app routes in the function (no authorizer)', () => {
    for (const { t } of routers()) {
      for (const { path, m } of methods(t)) {
        expect(m.AuthorizationType, path).toBe(path.startsWith('/admin') ? 'AWS_IAM' : 'NONE');
      }
      expect(methods(t).map((x) => `${x.m.HttpMethod} ${x.path}`).sort()).toEqual(
        [
          'POST /v1/chat/completions',
          'POST /v1/messages',
          'GET /v1/models',
          'GET /v1/models/{model+}',
          'POST /v1/embeddings',
          'GET /v1/usage',
          'GET /v1/key',
          'ANY /v1/privacy/{proxy+}',
          'ANY /admin/{proxy+}',
        ].sort(),
      );
    }
  });

  it('access logs are JSON with request metadata only: no body, payload, header or authorization field', () => {
    for (const { region, t } of routers()) {
      const stages = resourcesOf(t, 'AWS::ApiGateway::Stage');
      expect(stages, region).toHaveLength(1);
      const [, stage] = stages[0]!;
      const format = JSON.parse(stage.Properties.AccessLogSetting.Format) as Record<string, string>;
      expect(format).toEqual(ACCESS_LOG_FIELDS);
      for (const variable of Object.values(format)) {
        expect(variable).toMatch(/^\$context\.[A-Za-z.]+$/);
        expect(variable).not.toMatch(/body|payload|authoriz|header|override|input|requestOverride|responseOverride|apiKey/i);
      }
      // Execution logging never logs bodies (data trace off); throttling is set.
      const settings = stage.Properties.MethodSettings as any[];
      expect(settings.length).toBeGreaterThan(0);
      for (const ms of settings) {
        expect(ms.DataTraceEnabled).toBe(false);
        expect(['ERROR', 'OFF']).toContain(ms.LoggingLevel);
        expect(ms.ThrottlingRateLimit).toBe(ROUTER_DEFAULTS.throttlingRateLimit);
        expect(ms.ThrottlingBurstLimit).toBe(ROUTER_DEFAULTS.throttlingBurstLimit);
      }
    }
  });

  it('answers gateway errors (throttling, validation) in the OpenAI error shape', () => {
    for (const { t } of routers()) {
      const responses = resourcesOf(t, 'AWS::ApiGateway::GatewayResponse').map(([, r]) => r.Properties);
      const throttled = responses.find((r) => r.ResponseType === 'THROTTLED');
      expect(throttled?.StatusCode).toBe('429');
      for (const r of responses) expect(r.ResponseTemplates['application/json']).toMatch(/^\{"error":\{"message":/);
    }
  });
});

describe('logs and IAM', () => {
  it('every log group in every stack has a retention and a KMS key', () => {
    for (const stack of s.allStacks) {
      for (const [id, lg] of resourcesOf(s.template(stack), 'AWS::Logs::LogGroup')) {
        expect(lg.Properties.RetentionInDays, `${stack.stackName} ${id}`).toBe(ROUTER_DEFAULTS.logRetentionDays);
        expect(lg.Properties.KmsKeyId, `${stack.stackName} ${id}`).toBeDefined();
      }
    }
  });

  it('pre-creates the API Gateway execution log group (so it is encrypted and expires)', () => {
    for (const { t } of routers()) {
      const names = resourcesOf(t, 'AWS::Logs::LogGroup').map(([, lg]) => JSON.stringify(lg.Properties.LogGroupName ?? ''));
      expect(names.some((n) => n.includes('API-Gateway-Execution-Logs_'))).toBe(true);
    }
  });

  it('no IAM statement in any stack has Resource "*" or a wildcard action', () => {
    for (const stack of s.allStacks) {
      const t = s.template(stack);
      const statements = [
        ...resourcesOf(t, 'AWS::IAM::Policy').flatMap(([, p]) => p.Properties.PolicyDocument.Statement),
        ...resourcesOf(t, 'AWS::IAM::ManagedPolicy').flatMap(([, p]) => p.Properties.PolicyDocument.Statement),
        ...resourcesOf(t, 'AWS::IAM::Role').flatMap(([, r]) => (r.Properties.Policies ?? []).flatMap((p: any) => p.PolicyDocument.Statement)),
      ];
      for (const st of statements) {
        const resources = [st.Resource].flat();
        expect(resources, `${stack.stackName} ${JSON.stringify(st)}`).not.toContain('*');
        for (const action of [st.Action].flat()) expect(action, stack.stackName).not.toMatch(/\*/);
      }
    }
  });
});

describe('multi-region counters (home region)', () => {
  const limitsStatement = (policy: any[]) => policy.find((st) => JSON.stringify(st.Resource).includes(`:table/${tableName('ctr', 'limits')}`));

  it('in every replica region, functions reach the limits table and its key in the home region; other tables stay local', () => {
    for (const region of s.config.replicaRegions) {
      const t = s.template(s.stacks.routerStacks[region]!);
      for (const [name, { policy }] of functionsByName(t)) {
        for (const [id] of Object.entries(TABLE_ACCESS[name]) as [TableId, string][]) {
          const st = policy.find((x) => JSON.stringify(x.Resource).includes(`:table/${tableName('ctr', id)}"`));
          expect(st, `${region} ${name} ${id}`).toBeDefined();
          const home = HOME_REGION_TABLES.includes(id);
          expect(JSON.stringify(st.Resource), `${region} ${name} ${id}`).toContain(`:dynamodb:${home ? s.config.primaryRegion : region}:`);
        }
        const limits = limitsStatement(policy);
        if (!limits) continue;
        // DynamoDB in the home region may use the home-region key on this function's behalf.
        const homeKey = policy.find((st) => st.Condition?.StringEquals?.['kms:ViaService'] === `dynamodb.${s.config.primaryRegion}.amazonaws.com`);
        expect(homeKey, `${region} ${name}`).toBeDefined();
        expect(JSON.stringify(homeKey.Resource)).toContain(`:kms:${s.config.primaryRegion}:`);
      }
    }
  });

  it('in the primary region, everything is local', () => {
    const t = s.template(s.stacks.routerStacks[s.config.primaryRegion]!);
    for (const [, { policy }] of functionsByName(t)) {
      for (const st of policy.filter((x) => JSON.stringify(x.Action).includes('dynamodb:'))) {
        expect(JSON.stringify(st.Resource)).toContain(`:dynamodb:${s.config.primaryRegion}:`);
      }
      for (const st of policy.filter((x) => x.Condition?.StringEquals?.['kms:ViaService']?.startsWith('dynamodb.'))) {
        expect(st.Condition.StringEquals['kms:ViaService']).toBe(`dynamodb.${s.config.primaryRegion}.amazonaws.com`);
      }
    }
  });
});

describe('CheapTokenRouter construct options', () => {
  // A standalone router in an app of its own: the construct as a platform team would use it.
  let t: Template;
  beforeAll(() => {
    const app = new App();
    const stack = new Stack(app, 'Standalone', { env: { region: s.config.replicaRegions[0] } });
    // The example plus a Bedrock provider with a foundation model and a cross-region inference profile.
    const raw = JSON.parse(readFileSync(EXAMPLE_CONFIG_PATH, 'utf8'));
    raw.providers.push({ id: 'bedrock', kind: 'bedrock', region: 'us-west-2', jurisdiction: 'US' });
    raw.models[1].offers.push({ provider: 'bedrock', upstreamModel: 'meta.llama3-1-8b-instruct-v1:0', price: { input: 0.22, output: 0.22 } });
    raw.models[1].offers.push({ provider: 'bedrock', upstreamModel: 'us.meta.llama3-1-8b-instruct-v1:0', price: { input: 0.22, output: 0.22 } });
    new CheapTokenRouter(stack, 'Router', {
      config: parseConfig(raw),
      data: {
        tableNames: s.stacks.dataStack.data.tableNames,
        keyArn: 'arn:aws:kms:eu-west-1:111111111111:key/mrk-1234',
        homeKeyArn: 'arn:aws:kms:us-east-1:111111111111:key/mrk-1234',
        providerSecretArn: 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:ctr/provider-credentials-AbCdEf',
      },
      memorySizeMb: 512,
      waf: { enabled: true, rateLimitPer5Min: 500 },
      throttlingRateLimit: 10,
    });
    t = Template.fromStack(stack);
  });

  it('adds a rate-based WAF rule without sampled requests, associated with the stage', () => {
    t.resourceCountIs('AWS::WAFv2::WebACL', 1);
    const [[, acl]] = resourcesOf(t, 'AWS::WAFv2::WebACL');
    expect(acl!.Properties.Scope).toBe('REGIONAL');
    expect(acl!.Properties.Rules[0].Statement.RateBasedStatement).toMatchObject({ Limit: 500, AggregateKeyType: 'IP' });
    expect(acl!.Properties.VisibilityConfig.SampledRequestsEnabled).toBe(false);
    t.resourceCountIs('AWS::WAFv2::WebACLAssociation', 1);
  });

  it('lets chat and api invoke exactly the configured Bedrock models, in the provider region', () => {
    const roles = new Map(resourcesOf(t, 'AWS::IAM::Role'));
    for (const [, policy] of resourcesOf(t, 'AWS::IAM::Policy')) {
      const role = roles.get(policy.Properties.Roles[0].Ref)!;
      const name = /Cheap Token Router (\w+) function/.exec(role.Properties.Description)?.[1];
      const bedrock = (policy.Properties.PolicyDocument.Statement as any[]).find((st) => JSON.stringify(st.Action).includes('bedrock:'));
      expect(bedrock !== undefined, String(name)).toBe(name === 'chat' || name === 'api');
      if (!bedrock) continue;
      expect(bedrock.Action).toEqual(['bedrock:InvokeModel', 'bedrock:InvokeModelWithResponseStream']);
      const resources = JSON.stringify(bedrock.Resource);
      expect(resources).toContain(':bedrock:us-west-2::foundation-model/meta.llama3-1-8b-instruct-v1:0');
      expect(resources).toContain(':inference-profile/us.meta.llama3-1-8b-instruct-v1:0');
      expect(resources).toContain(':bedrock:*::foundation-model/meta.llama3-1-8b-instruct-v1:0');
    }
  });

  it('applies memory and throttling props', () => {
    for (const [, fn] of resourcesOf(t, 'AWS::Lambda::Function')) expect(fn.Properties.MemorySize).toBe(512);
    const [[, stage]] = resourcesOf(t, 'AWS::ApiGateway::Stage');
    expect(stage!.Properties.MethodSettings[0].ThrottlingRateLimit).toBe(10);
  });

  it('refuses a log retention longer than the usage-data retention', () => {
    const app = new App();
    const stack = new Stack(app, 'TooLong', { env: { region: s.config.primaryRegion } });
    expect(
      () =>
        new CheapTokenRouter(stack, 'Router', {
          config: { ...s.config, retention: { ...s.config.retention, usageDays: 7 } },
          data: { tableNames: s.stacks.dataStack.data.tableNames, keyArn: 'k', homeKeyArn: 'k', providerSecretArn: 's' },
        }),
    ).toThrow(/logRetention 30 days exceeds retention.usageDays 7/);
  });
});
