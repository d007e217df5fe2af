/**
 * Regional routers: functions, API Gateway (streaming chat route, access-log format), log groups,
 * IAM, and the multi-region counter design (replica-region functions use the home region for the
 * limits table). Deployment-wide assertions run over every router stack of the two-replica example
 * config; construct options use a fresh standalone stack per test. Resources are found through the
 * constructs that made them, never by a generated logical id.
 */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { type TableId, tableEnvVar } from '../../lambdas/store/tables';
import { CheapTokenRouter } from '../../lib/cheap-token-router';
import { ROUTER_DEFAULTS } from '../../lib/cheap-token-router-defaults';
import { tableName } from '../../lib/naming';
import { ACCESS_LOG_FIELDS } from '../../lib/router-api';
import {
  API_FUNCTIONS,
  DATA_KEY_ACTIONS,
  HOME_REGION_TABLES,
  ROUTER_FUNCTIONS,
  type RouterFunctionName,
  TABLE_ACCESS,
} from '../../lib/table-access';
import {
  bundles,
  expectProps,
  idsOf,
  idsWith,
  jsonIncludes,
  logicalIdOf,
  type SynthesizedRouter,
  standaloneData,
  standaloneRouter,
  synthesizeRouter,
} from './fixture';

let s: SynthesizedRouter;
beforeAll(() => {
  s = synthesizeRouter();
}, 300_000); // esbuild bundles six functions per region

const routers = () =>
  Object.entries(s.stacks.routerStacks).map(([region, stack]) => ({ region, stack, router: stack.router, t: s.template(stack) }));

/** The newest even-numbered (LTS) Node.js runtime this aws-cdk-lib offers. */
function newestNodeLts(): string {
  const majors = lambda.Runtime.ALL.map((r) => /^nodejs(\d+)\.x$/.exec(r.name)?.[1])
    .filter((m): m is string => m !== undefined)
    .map(Number)
    .filter((m) => m % 2 === 0);
  return `nodejs${Math.max(...majors)}.x`;
}

const functionOf = (router: CheapTokenRouter, name: RouterFunctionName) => router.functions[name];

/** The role's inline policy, where its grants are. */
const policyOf = (router: CheapTokenRouter, name: RouterFunctionName): IConstruct =>
  router.functionRoles[name].node.findChild('DefaultPolicy');

/** Statements of a role's policy, as synthesized. */
function statementsOf(t: Template, router: CheapTokenRouter, name: RouterFunctionName): Record<string, any>[] {
  return t.findResources('AWS::IAM::Policy')[logicalIdOf(policyOf(router, name))]!.Properties.PolicyDocument.Statement;
}

/** The policy of `name` has a statement like `statement`. */
const expectStatement = (t: Template, router: CheapTokenRouter, name: RouterFunctionName, statement: Record<string, unknown>) =>
  expectProps(t, policyOf(router, name), { PolicyDocument: { Statement: Match.arrayWith([Match.objectLike(statement)]) } });

describe('router stacks', () => {
  it('exist in the primary region and every replica region', () => {
    expect(Object.keys(s.stacks.routerStacks).sort()).toEqual([s.config.primaryRegion, ...s.config.replicaRegions].sort());
  });

  it('every function: arm64, newest Node.js LTS runtime, small memory, JSON logs into its own log group', () => {
    for (const { t, router } of routers()) {
      t.resourceCountIs('AWS::Lambda::Function', ROUTER_FUNCTIONS.length);
      for (const name of ROUTER_FUNCTIONS) {
        expectProps(t, functionOf(router, name), {
          Architectures: ['arm64'],
          Runtime: newestNodeLts(),
          MemorySize: ROUTER_DEFAULTS.memorySizeMb,
          Handler: 'index.handler',
          LoggingConfig: { LogFormat: 'JSON', LogGroup: { Ref: logicalIdOf(router.functionLogGroups[name]) } },
        });
      }
    }
  });

  it('every function gets the home region, and exactly the tables it uses', () => {
    for (const { t, router } of routers()) {
      for (const name of ROUTER_FUNCTIONS) {
        const used = Object.keys(TABLE_ACCESS[name]) as TableId[];
        const variables = t.findResources('AWS::Lambda::Function')[logicalIdOf(functionOf(router, name))]!.Properties.Environment.Variables;
        expect(
          Object.keys(variables)
            .filter((k) => k.startsWith('CTR_TABLE_'))
            .sort(),
          name,
        ).toEqual(used.map(tableEnvVar).sort());
        expectProps(t, functionOf(router, name), {
          Environment: {
            Variables: {
              CTR_HOME_REGION: s.config.primaryRegion,
              ...Object.fromEntries(used.map((id) => [tableEnvVar(id), tableName('ctr', id)])),
            },
          },
        });
      }
    }
  });

  it('gives the provider secret to chat and api only; only admin creates data keys, chat and privacy only unwrap them, always with the account context', () => {
    const readSecret = { Action: 'secretsmanager:GetSecretValue' };
    for (const { region, t, router } of routers()) {
      for (const name of ROUTER_FUNCTIONS) {
        const readsSecret = name === 'chat' || name === 'api';
        const withSecret = idsWith(t, 'AWS::IAM::Policy', {
          PolicyDocument: { Statement: Match.arrayWith([Match.objectLike(readSecret)]) },
        });
        expect(withSecret.includes(logicalIdOf(policyOf(router, name))), `${region} ${name}`).toBe(readsSecret);
        const dataKeys = DATA_KEY_ACTIONS[name] !== undefined;
        expectProps(t, functionOf(router, name), {
          Environment: {
            Variables: {
              CTR_PROVIDER_SECRET_ARN: readsSecret ? Match.anyValue() : Match.absent(),
              CTR_KMS_KEY_ARN: dataKeys ? Match.anyValue() : Match.absent(),
            },
          },
        });
        // api and the queue workers never touch per-account data keys: the workers' only direct KMS use is
        // decrypting their queue's messages; api has none.
        if (!dataKeys) {
          const direct = statementsOf(t, router, name).filter(
            (st) => JSON.stringify(st.Action).includes('kms:') && !st.Condition?.StringEquals,
          );
          expect(
            direct.map((st) => [st.Action, st.Condition]),
            `${region} ${name}`,
          ).toEqual(API_FUNCTIONS.includes(name) ? [] : [['kms:Decrypt', undefined]]);
          continue;
        }
        expectStatement(t, router, name, {
          Action: name === 'admin' ? ['kms:GenerateDataKey', 'kms:Decrypt'] : 'kms:Decrypt',
          Condition: Match.objectEquals({
            Null: { 'kms:EncryptionContextKeys': 'false' },
            'ForAllValues:StringEquals': { 'kms:EncryptionContextKeys': ['accountId'] },
          }),
        });
        // Direct KMS use (not via Secrets Manager or DynamoDB) is for data keys only: that one statement.
        const direct = statementsOf(t, router, name).filter(
          (st) => JSON.stringify(st.Action).includes('kms:') && !st.Condition?.StringEquals,
        );
        expect(direct, `${region} ${name}`).toHaveLength(1);
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
      for (const { region, t, router } of routers()) {
        // The API functions build the full runtime; the queue workers wire only their own tables (handlers/workers.ts).
        for (const name of API_FUNCTIONS) {
          const variables =
            t.findResources('AWS::Lambda::Function')[logicalIdOf(functionOf(router, name))]!.Properties.Environment.Variables;
          // Tokens (ARNs from other stacks) become placeholder strings; plain values stay as synthesized.
          const env = Object.fromEntries(
            Object.entries(variables as Record<string, unknown>).map(([k, v]) => [
              k,
              typeof v === 'string' ? v : `arn:aws:placeholder:${k}`,
            ]),
          );
          const rt = await createRuntime(
            { ...env, AWS_REGION: region, CTR_CONFIG_JSON: JSON.stringify(s.config) },
            jsonLogger(() => undefined),
          );
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
    // Needs config.ts to read `process.env.CTR_INLINED_CONFIG` literally, so esbuild's define can replace it.
    for (const c of code) {
      expect(
        c.includes('meta-llama/llama-3.1-8b-instruct') && c.includes('ap-southeast-2'),
        'bundle carries the example config inline',
      ).toBe(true);
    }
  });
});

const STREAMED_PATHS = ['/v1/chat/completions', '/v1/messages', '/v1/embeddings'];

describe('API Gateway', () => {
  const STREAMED = STREAMED_PATHS;

  it('streams the chat routes with a long integration timeout, and buffers the others', () => {
    for (const { t, router } of routers()) {
      for (const method of router.api.methods) {
        if (STREAMED.includes(method.resource.path)) {
          expect(method.httpMethod).toBe('POST');
          expectProps(t, method, {
            Integration: {
              ResponseTransferMode: 'STREAM',
              Type: 'AWS_PROXY',
              Uri: jsonIncludes('response-streaming-invocations'),
              TimeoutInMillis: ROUTER_DEFAULTS.streamTimeoutSeconds * 1000,
            },
          });
        } else {
          expectProps(t, method, { Integration: { ResponseTransferMode: Match.absent() } });
        }
      }
      expect(router.api.methods.filter((m) => STREAMED.includes(m.resource.path))).toHaveLength(STREAMED.length);
    }
  });

  it('authorizes admin routes with IAM and app routes in the function (no authorizer)', () => {
    for (const { t, router } of routers()) {
      t.resourceCountIs('AWS::ApiGateway::Method', router.api.methods.length);
      for (const method of router.api.methods) {
        const { path } = method.resource;
        expectProps(t, method, {
          HttpMethod: method.httpMethod,
          ResourceId: { Ref: logicalIdOf(method.resource) },
          AuthorizationType: path.startsWith('/admin') ? 'AWS_IAM' : 'NONE',
        });
        // The resource path as synthesized: each resource names its path part and its parent.
        for (let r = method.resource; r.parentResource; r = r.parentResource) {
          const parent = r.parentResource.parentResource
            ? { Ref: logicalIdOf(r.parentResource) }
            : { 'Fn::GetAtt': [logicalIdOf(router.api), 'RootResourceId'] };
          expectProps(t, r, { PathPart: r.path.split('/').at(-1), ParentId: parent });
        }
      }
      expect(router.api.methods.map((m) => `${m.httpMethod} ${m.resource.path}`).sort()).toEqual(
        [
          'POST /v1/chat/completions',
          'POST /v1/messages',
          'GET /v1/models',
          'GET /v1/models/{model+}',
          'POST /v1/embeddings',
          'GET /v1/usage',
          'GET /v1/key',
          'GET /v1/dashboard',
          'ANY /v1/privacy/{proxy+}',
          'ANY /admin/{proxy+}',
        ].sort(),
      );
    }
  });

  it('access logs are JSON with request metadata only: no body, payload, header or authorization field', () => {
    for (const { t } of routers()) {
      t.resourceCountIs('AWS::ApiGateway::Stage', 1);
      t.hasResourceProperties('AWS::ApiGateway::Stage', {
        AccessLogSetting: { Format: Match.serializedJson(Match.objectEquals(ACCESS_LOG_FIELDS)) },
        // Execution logging never logs bodies (data trace off); throttling is set.
        MethodSettings: [
          Match.objectLike({
            DataTraceEnabled: false,
            LoggingLevel: 'ERROR',
            ThrottlingRateLimit: ROUTER_DEFAULTS.throttlingRateLimit,
            ThrottlingBurstLimit: ROUTER_DEFAULTS.throttlingBurstLimit,
          }),
        ],
      });
    }
    for (const variable of Object.values(ACCESS_LOG_FIELDS)) {
      expect(variable).toMatch(/^\$context\.[A-Za-z.]+$/);
      expect(variable).not.toMatch(/body|payload|authoriz|header|override|input|requestOverride|responseOverride|apiKey/i);
    }
  });

  it('answers gateway errors (throttling, validation) in the OpenAI error shape', () => {
    for (const { t } of routers()) {
      t.hasResourceProperties('AWS::ApiGateway::GatewayResponse', { ResponseType: 'THROTTLED', StatusCode: '429' });
      const openAiShaped = { ResponseTemplates: { 'application/json': Match.stringLikeRegexp('^\\{"error":\\{"message":') } };
      expect(idsWith(t, 'AWS::ApiGateway::GatewayResponse', openAiShaped)).toEqual(idsOf(t, 'AWS::ApiGateway::GatewayResponse'));
    }
  });
});

describe('logs and IAM', () => {
  it('every log group in every stack has a retention and a KMS key', () => {
    for (const stack of s.allStacks) {
      const t = s.template(stack);
      const encryptedAndExpiring = { RetentionInDays: ROUTER_DEFAULTS.logRetentionDays, KmsKeyId: Match.anyValue() };
      expect(idsWith(t, 'AWS::Logs::LogGroup', encryptedAndExpiring), stack.stackName).toEqual(idsOf(t, 'AWS::Logs::LogGroup'));
    }
  });

  it('pre-creates the API Gateway execution log group (so it is encrypted and expires)', () => {
    for (const { t, router } of routers()) {
      expectProps(t, router.node.findChild('ExecutionLogs'), {
        LogGroupName: {
          'Fn::Join': ['', ['API-Gateway-Execution-Logs_', { Ref: logicalIdOf(router.api) }, `/${ROUTER_DEFAULTS.stageName}`]],
        },
      });
    }
  });

  it('no IAM statement in any stack has Resource "*" or a wildcard action', () => {
    const wildcards = [
      { Resource: '*' },
      { Resource: Match.arrayWith(['*']) },
      { Action: Match.stringLikeRegexp('\\*') },
      { Action: Match.arrayWith([Match.stringLikeRegexp('\\*')]) },
    ];
    for (const stack of s.allStacks) {
      const t = s.template(stack);
      for (const wildcard of wildcards) {
        const statement = { Statement: Match.arrayWith([Match.objectLike(wildcard)]) };
        expect(idsWith(t, 'AWS::IAM::Policy', { PolicyDocument: statement }), `${stack.stackName} ${JSON.stringify(wildcard)}`).toEqual([]);
        expect(idsWith(t, 'AWS::IAM::ManagedPolicy', { PolicyDocument: statement }), stack.stackName).toEqual([]);
        expect(
          idsWith(t, 'AWS::IAM::Role', { Policies: Match.arrayWith([Match.objectLike({ PolicyDocument: statement })]) }),
          stack.stackName,
        ).toEqual([]);
      }
    }
    // Not vacuous: the router stacks do have policies.
    for (const { t } of routers()) expect(idsOf(t, 'AWS::IAM::Policy').length).toBeGreaterThanOrEqual(3);
  });
});

describe('multi-region counters (home region)', () => {
  it('in every replica region, functions reach the limits table and its key in the home region; other tables stay local', () => {
    for (const region of s.config.replicaRegions) {
      const stack = s.stacks.routerStacks[region]!;
      const t = s.template(stack);
      for (const name of ROUTER_FUNCTIONS) {
        for (const id of Object.keys(TABLE_ACCESS[name]) as TableId[]) {
          const home = HOME_REGION_TABLES.includes(id);
          expectStatement(t, stack.router, name, {
            Resource: jsonIncludes(`:table/${tableName('ctr', id)}"`, `:dynamodb:${home ? s.config.primaryRegion : region}:`),
          });
          // DynamoDB in the home region may use the home-region key on this function's behalf.
          if (home) {
            expectStatement(t, stack.router, name, {
              Condition: { StringEquals: { 'kms:ViaService': `dynamodb.${s.config.primaryRegion}.amazonaws.com` } },
              // The home key's whole ARN, from the primary region's key stack.
              Resource: {
                'Fn::GetStackOutput': Match.objectLike({
                  StackName: s.stacks.keyStacks[s.config.primaryRegion]!.stackName,
                  Region: s.config.primaryRegion,
                }),
              },
            });
          }
        }
      }
    }
  });

  it('in the primary region, everything is local', () => {
    const primary = s.config.primaryRegion;
    const stack = s.stacks.routerStacks[primary]!;
    const t = s.template(stack);
    const elsewhere = [
      { Action: jsonIncludes('dynamodb:'), Resource: Match.not(jsonIncludes(`:dynamodb:${primary}:`)) },
      { Condition: { StringEquals: { 'kms:ViaService': Match.stringLikeRegexp(`^dynamodb\\.(?!${primary.replace(/-/g, '\\-')}\\.)`) } } },
    ];
    for (const statement of elsewhere) {
      expect(idsWith(t, 'AWS::IAM::Policy', { PolicyDocument: { Statement: Match.arrayWith([Match.objectLike(statement)]) } })).toEqual([]);
    }
    for (const name of ROUTER_FUNCTIONS) expectStatement(t, stack.router, name, { Resource: jsonIncludes(`:dynamodb:${primary}:`) });
  });
});

describe('CORS preflights through API Gateway', () => {
  const withCors = () =>
    standaloneRouter({}, { config: { ...s.config, cors: { allowOrigins: ['https://app.example.com'], maxAgeSeconds: 600 } } });

  it('sends OPTIONS on every inference and key-holder resource to the function behind it, with no authorizer', () => {
    // Prepare
    const { router, t } = withCors();
    const options = router.api.methods.filter((m) => m.httpMethod === 'OPTIONS');
    const served = router.api.methods.filter(
      (m) => m.httpMethod !== 'OPTIONS' && !m.resource.path.startsWith('/admin') && !m.resource.path.startsWith('/v1/privacy'),
    );
    const methods = t.findResources('AWS::ApiGateway::Method');
    const uriOf = (m: (typeof options)[number]) => JSON.stringify(methods[logicalIdOf(m)]!.Properties.Integration.Uri);

    // Assess: one per served resource, the inference routes and the key holder's among them
    expect(options.map((m) => m.resource.path).sort()).toEqual([...new Set(served.map((m) => m.resource.path))].sort());
    expect(options.map((m) => m.resource.path)).toEqual(
      expect.arrayContaining([
        '/v1/chat/completions',
        '/v1/messages',
        '/v1/embeddings',
        '/v1/models',
        '/v1/models/{model+}',
        '/v1/usage',
        '/v1/key',
        '/v1/dashboard',
      ]),
    );
    for (const method of options) {
      expectProps(t, method, {
        HttpMethod: 'OPTIONS',
        AuthorizationType: 'NONE',
        AuthorizerId: Match.absent(),
        ApiKeyRequired: Match.absent(),
        Integration: { Type: 'AWS_PROXY' },
      });
      const sibling = served.find((m) => m.resource === method.resource)!;
      expect(uriOf(method)).toBe(uriOf(sibling));
    }
    const chat = options.find((m) => m.resource.path === '/v1/chat/completions')!;
    expect(uriOf(chat)).toContain(logicalIdOf(router.functions.chat));
  });

  it('gives the admin and privacy resources no OPTIONS method; admin keeps IAM authorization', () => {
    // Prepare
    const { router, t } = withCors();

    // Assess
    const guarded = router.api.methods.filter((m) => m.resource.path.startsWith('/admin') || m.resource.path.startsWith('/v1/privacy'));
    expect(guarded.map((m) => `${m.httpMethod} ${m.resource.path}`).sort()).toEqual(['ANY /admin/{proxy+}', 'ANY /v1/privacy/{proxy+}']);
    const admin = guarded.find((m) => m.resource.path.startsWith('/admin'))!;
    expectProps(t, admin, { AuthorizationType: 'AWS_IAM' });
  });

  it('passes cdk-nag with every OPTIONS finding acknowledged for its own reason', () => {
    // Prepare
    const config = { ...s.config, cors: { allowOrigins: ['https://app.example.com'], maxAgeSeconds: 600 } };
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    const stack = new Stack(app, 'Standalone', { env: { region: config.primaryRegion } });
    new CheapTokenRouter(stack, 'Router', { config, data: standaloneData(config, config.primaryRegion) });

    // Act: synthesis throws on an unacknowledged error-level finding
    const outdir = app.synth().directory;

    // Assess
    const report = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8')) as {
      pluginReports: {
        violations: unknown[];
        suppressedViolations?: { ruleName: string; reason: string; violatingConstructs: { constructPath: string }[] }[];
      }[];
    };
    const [nag] = report.pluginReports;
    expect(nag!.violations).toEqual([]);
    const count = stack.node.findAll().filter((c) => c instanceof apigw.Method && c.httpMethod === 'OPTIONS').length;
    expect(count).toBeGreaterThanOrEqual(8);
    const preflights = (nag!.suppressedViolations ?? []).filter((v) =>
      v.violatingConstructs.some((c) => c.constructPath.endsWith('/OPTIONS/Resource')),
    );
    expect(
      preflights
        .filter((v) => v.ruleName.endsWith('APIG4'))
        .map((v) => v.violatingConstructs.length)
        .reduce((a, b) => a + b, 0),
    ).toBe(count);
    for (const v of preflights.filter((x) => x.ruleName.endsWith('APIG4'))) expect(v.reason).toContain('preflight');
  });

  it('adds no OPTIONS method when the config lists no origin', () => {
    // Prepare
    const { t } = standaloneRouter();

    // Assess
    expect(Object.keys(t.findResources('AWS::ApiGateway::Method', { Properties: { HttpMethod: 'OPTIONS' } }))).toEqual([]);
  });
});

describe('CheapTokenRouter construct options', () => {
  it('applies memory and throttling props', () => {
    const { t } = standaloneRouter({ memorySizeMb: 512, throttlingRateLimit: 10 });
    t.resourceCountIs('AWS::Lambda::Function', ROUTER_FUNCTIONS.length);
    expect(idsWith(t, 'AWS::Lambda::Function', { MemorySize: 512 })).toEqual(idsOf(t, 'AWS::Lambda::Function'));
    t.hasResourceProperties('AWS::ApiGateway::Stage', { MethodSettings: [Match.objectLike({ ThrottlingRateLimit: 10 })] });
  });

  it('refuses a log retention longer than the usage-data retention', () => {
    expect(() => standaloneRouter({}, { config: { ...s.config, retention: { ...s.config.retention, usageDays: 7 } } })).toThrow(
      /logRetention 30 days exceeds retention.usageDays 7/,
    );
  });

  it('leaves the account-level API Gateway logging role alone when told the account has one', () => {
    const { router, t } = standaloneRouter({ manageApiGatewayAccountRole: false });
    t.resourceCountIs('AWS::ApiGateway::Account', 0);
    expect(router.api.node.tryFindChild('CloudWatchRole')).toBeUndefined();
    const managed = standaloneRouter();
    managed.t.resourceCountIs('AWS::ApiGateway::Account', 1);
    managed.t.hasResource('AWS::IAM::Role', {
      Properties: Match.objectLike({ ManagedPolicyArns: [jsonIncludes('AmazonAPIGatewayPushToCloudWatchLogs')] }),
      DeletionPolicy: 'Retain',
    });
  });

  it('gives each function a role of its own, assumed by Lambda, with no managed policy', () => {
    const { router, t } = standaloneRouter();
    for (const name of ROUTER_FUNCTIONS) {
      expectProps(t, router.functionRoles[name], {
        AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { Service: 'lambda.amazonaws.com' } })] },
        Description: `Cheap Token Router ${name} function`,
        ManagedPolicyArns: Match.absent(),
      });
      expectProps(t, functionOf(router, name), { Role: { 'Fn::GetAtt': [logicalIdOf(router.functionRoles[name]), 'Arn'] } });
    }
    expect(router.functionRoles.chat).toBeInstanceOf(iam.Role);
  });
});
