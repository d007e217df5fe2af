/**
 * `CheapTokenRouter`: the router in one region — API Gateway REST API, the three Lambda
 * functions (streaming chat, buffered API, IAM-authorized admin), their log groups and grants,
 * an optional WAF web ACL, and its monitoring (alarms, log metrics, dashboard; see `RouterMonitoring`).
 * It provisions and wires; all request logic is in `lambdas/`.
 *
 * It expects the data layer (tables, key, secret) to exist already: see `RouterData`, `DataKey`
 * and `addCheapTokenRouterStacks`, which deploys both in the right order.
 */
import { fileURLToPath } from 'node:url';
import { Aws, Duration, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { packConfigJson, type RouterConfig } from '../lambdas/core/config';
import { tableDefinition, tableEnvVar, type TableId } from '../lambdas/store/tables';
import { NAMING_DEFAULTS, ROUTER_DEFAULTS } from './cheap-token-router-defaults';
import { acknowledgeRouterFindings } from './nag-suppressions';
import { RouterMonitoring, type RouterAlarmOptions, type RouterAlarms, type RouterLogMetrics } from './router-monitoring';
import {
  BEDROCK_FUNCTIONS,
  DATA_KEY_ACTIONS,
  DYNAMODB_READ_ACTIONS,
  DYNAMODB_WRITE_ACTIONS,
  HOME_REGION_TABLES,
  SCAN_FUNCTIONS,
  SECRET_FUNCTIONS,
  TABLE_ACCESS,
  type RouterFunction,
} from './table-access';

/** Where the data layer is, as seen from one region. */
export interface RouterDataReference {
  /** Physical table names (identical in every region of a global table). */
  readonly tableNames: Readonly<Record<TableId, string>>;
  /** ARN of the data key in this region (the multi-Region primary, or its replica here). */
  readonly keyArn: string;
  /** ARN of the data key in the home (primary) region, which encrypts the home-region counters. */
  readonly homeKeyArn: string;
  /** ARN of the provider-credentials secret (its replica in this region). */
  readonly providerSecretArn: string;
}

/** WAF options of {@link CheapTokenRouterProps}. */
export interface RouterWafOptions {
  /**
   * Associate a regional WAF web ACL with the stage.
   *
   * @default false
   */
  readonly enabled?: boolean;
  /**
   * Requests per source IP in any 5-minute window before the rate-based rule blocks.
   *
   * @default 2000
   */
  readonly rateLimitPer5Min?: number;
}

/** Props of {@link CheapTokenRouter}. */
export interface CheapTokenRouterProps {
  /** The validated router config; it is inlined into every function bundle. */
  readonly config: RouterConfig;
  /** The data layer (tables, key, secret) in this region. */
  readonly data: RouterDataReference;
  /**
   * Memory of each function, in MB.
   *
   * @default 256
   */
  readonly memorySizeMb?: number;
  /**
   * Longest streamed chat request: the streaming integration timeout and the chat function timeout (at most 15 minutes).
   *
   * @default Duration.minutes(10)
   */
  readonly streamTimeout?: Duration;
  /**
   * Stage name; the OpenAI-compatible base URL is `https://<api>/<stageName>/v1`.
   *
   * @default 'prod'
   */
  readonly stageName?: string;
  /**
   * Stage-wide steady-state request rate (requests per second).
   *
   * @default 100
   */
  readonly throttlingRateLimit?: number;
  /**
   * Stage-wide burst limit (requests).
   *
   * @default 200
   */
  readonly throttlingBurstLimit?: number;
  /**
   * Retention of the function, access and execution log groups. Access logs hold source IPs
   * (usage data, policy §2), so this may not exceed the config's `retention.usageDays`.
   *
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * API Gateway execution logging at ERROR level, into a pre-created, encrypted log group with
   * retention. Data trace (which would log bodies) is never enabled.
   *
   * @default true
   */
  readonly executionLogging?: boolean;
  /**
   * Create the API Gateway account-level CloudWatch Logs role (one per account and region;
   * required for access and execution logs). Set false if the account already has one.
   *
   * @default true
   */
  readonly manageApiGatewayAccountRole?: boolean;
  /**
   * Optional WAF web ACL with a rate-based rule.
   *
   * @default - no web ACL
   */
  readonly waf?: RouterWafOptions;
  /**
   * CloudWatch alarms: API 5XX rate, optional API latency p99, per function errors, throttles and
   * duration near the timeout, and any lost usage record or budget settlement (from the log lines).
   *
   * @default - every alarm enabled with `ALARM_DEFAULTS`; no latency alarm
   */
  readonly alarms?: RouterAlarmOptions;
  /**
   * Topic every alarm notifies (ALARM and OK), in this router's region. CloudWatch must be allowed
   * to publish to it (and to use its KMS key, if encrypted with a customer-managed key).
   *
   * @default - a topic is created when `alarmEmail` is set; otherwise alarms have no actions
   */
  readonly alarmTopic?: sns.ITopic;
  /**
   * E-mail address subscribed to a topic created for the alarms (KMS-encrypted, SSL-only). Ignored
   * when `alarmTopic` is set. The address receives a subscription confirmation first.
   *
   * @default - no topic is created
   */
  readonly alarmEmail?: string;
  /**
   * A CloudWatch dashboard `<namePrefix>-router-<region>`: requests, 4XX/5XX, latency, per-function
   * invocations/errors/duration/throttles, lost usage records and settlements, upstream failures.
   *
   * @default true
   */
  readonly dashboard?: boolean;
  /**
   * Prefix of physical names (API name, alarm names, dashboard name, log-metric namespace).
   *
   * @default 'ctr'
   */
  readonly namePrefix?: string;
}

/**
 * Access-log fields: request metadata only. No `$context` variable that carries a body, a
 * request/response override, a header value or the authorization token appears here (§2 content data
 * is never stored; test/infra asserts it). No client IP either: the functions keep it sealed with the
 * account's data key, so erasure reaches it (§6); a plain IP in a log group could not be erased.
 */
export const ACCESS_LOG_FIELDS: Readonly<Record<string, string>> = {
  requestId: '$context.requestId',
  requestTime: '$context.requestTimeEpoch',
  httpMethod: '$context.httpMethod',
  resourcePath: '$context.resourcePath',
  protocol: '$context.protocol',
  status: '$context.status',
  responseLength: '$context.responseLength',
  responseLatency: '$context.responseLatency',
  integrationLatency: '$context.integrationLatency',
  integrationStatus: '$context.integration.status',
  errorType: '$context.error.responseType',
};

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const handlerEntry = (name: string) => fileURLToPath(new URL(`../lambdas/handlers/${name}.ts`, import.meta.url));

/** The router's resources in one region. */
export class CheapTokenRouter extends Construct {
  /** The REST API. */
  public readonly api: apigw.RestApi;
  /** OpenAI-compatible base URL (`…/<stage>/v1`). */
  public readonly baseUrl: string;
  /** Streaming chat function (`POST /v1/chat/completions`, `POST /v1/messages`). */
  public readonly chatFunction: NodejsFunction;
  /** Buffered API function (`/v1/models`, `/v1/embeddings`, `/v1/usage`, `/v1/key`). */
  public readonly apiFunction: NodejsFunction;
  /** Admin function (`/admin/*`, IAM-authorized). */
  public readonly adminFunction: NodejsFunction;
  /** Every log group this construct owns. */
  public readonly logGroups: readonly logs.LogGroup[];
  /** The web ACL, when enabled. */
  public readonly webAcl?: wafv2.CfnWebACL;
  /** Each function's JSON log group. */
  public readonly functionLogGroups: Readonly<Record<RouterFunction, logs.LogGroup>>;
  /** Metrics counted from the functions' log lines (usage record / settle failures, upstream attempt failures). */
  public readonly logMetrics: RouterLogMetrics;
  /** The alarms, unless `alarms.enabled` is false. */
  public readonly alarms?: RouterAlarms;
  /** The topic alarms notify, when given or created for `alarmEmail`. */
  public readonly alarmTopic?: sns.ITopic;
  /** The CloudWatch dashboard, unless `dashboard` is false. */
  public readonly dashboard?: cloudwatch.Dashboard;

  private readonly stack: Stack;
  private readonly props: CheapTokenRouterProps;
  private readonly dataKey: kms.IKey;
  private readonly logRetention: logs.RetentionDays;
  private readonly ownedLogGroups: logs.LogGroup[] = [];
  private readonly fnLogGroups: Partial<Record<RouterFunction, logs.LogGroup>> = {};
  /** Region-wildcard Bedrock model ARNs (cross-region inference profiles), acknowledged per role. */
  public readonly bedrockWildcards: { role: iam.IRole; resource: string }[] = [];

  constructor(scope: Construct, id: string, props: CheapTokenRouterProps) {
    super(scope, id);
    this.stack = Stack.of(this);
    this.props = props;
    const region = this.stack.region;
    if (!Token.isUnresolved(region) && region !== props.config.primaryRegion && !props.config.replicaRegions.includes(region)) {
      throw new Error(`CheapTokenRouter: region ${region} is neither the config's primaryRegion nor one of its replicaRegions`);
    }
    const namePrefix = props.namePrefix ?? NAMING_DEFAULTS.namePrefix;
    this.logRetention = props.logRetention ?? (ROUTER_DEFAULTS.logRetentionDays as logs.RetentionDays);
    if (this.logRetention > props.config.retention.usageDays) {
      throw new Error(
        `CheapTokenRouter: logRetention ${this.logRetention} days exceeds retention.usageDays ${props.config.retention.usageDays} (access logs hold source IPs, usage data under policy §8)`,
      );
    }
    const streamTimeout = props.streamTimeout ?? Duration.seconds(ROUTER_DEFAULTS.streamTimeoutSeconds);
    if (streamTimeout.toSeconds() > 900) throw new Error('CheapTokenRouter: streamTimeout may be at most 15 minutes');
    const bufferedTimeout = Duration.seconds(ROUTER_DEFAULTS.bufferedTimeoutSeconds);
    this.dataKey = kms.Key.fromKeyArn(this, 'DataKey', props.data.keyArn);

    this.chatFunction = this.routerFunction('chat', streamTimeout, 'Streaming chat completions and messages');
    this.apiFunction = this.routerFunction('api', bufferedTimeout, 'Models, embeddings and usage');
    this.adminFunction = this.routerFunction('admin', bufferedTimeout, 'Admin and privacy operations (IAM-authorized)');

    // ---- API Gateway ----------------------------------------------------------------------
    const stageName = props.stageName ?? ROUTER_DEFAULTS.stageName;
    const accessLogs = this.logGroup('AccessLogs');
    const executionLogging = props.executionLogging ?? ROUTER_DEFAULTS.executionLogging;
    this.api = new apigw.RestApi(this, 'Api', {
      restApiName: `${namePrefix}-router`,
      description: 'Cheap Token Router: OpenAI-compatible LLM gateway',
      endpointConfiguration: { types: [apigw.EndpointType.REGIONAL] },
      cloudWatchRole: props.manageApiGatewayAccountRole ?? ROUTER_DEFAULTS.manageApiGatewayAccountRole,
      cloudWatchRoleRemovalPolicy: RemovalPolicy.RETAIN,
      deployOptions: {
        stageName,
        accessLogDestination: new apigw.LogGroupLogDestination(accessLogs),
        accessLogFormat: apigw.AccessLogFormat.custom(JSON.stringify(ACCESS_LOG_FIELDS)),
        loggingLevel: executionLogging ? apigw.MethodLoggingLevel.ERROR : apigw.MethodLoggingLevel.OFF,
        dataTraceEnabled: false,
        metricsEnabled: true,
        throttlingRateLimit: props.throttlingRateLimit ?? ROUTER_DEFAULTS.throttlingRateLimit,
        throttlingBurstLimit: props.throttlingBurstLimit ?? ROUTER_DEFAULTS.throttlingBurstLimit,
      },
    });
    if (executionLogging) {
      // API Gateway would otherwise create this group itself: unencrypted and kept forever.
      const executionLogs = this.logGroup('ExecutionLogs', `API-Gateway-Execution-Logs_${this.api.restApiId}/${stageName}`);
      this.api.deploymentStage.node.addDependency(executionLogs);
    }
    this.baseUrl = `${this.api.url}v1`;

    this.addOpenAiErrorResponses();
    const validator = this.api.addRequestValidator('Validator', { validateRequestBody: true, validateRequestParameters: true });
    const jsonObject = this.api.addModel('JsonObjectBody', {
      contentType: 'application/json',
      description: 'Any JSON object; the functions validate the OpenAI schema and answer in its error format',
      schema: { schema: apigw.JsonSchemaVersion.DRAFT4, title: 'JsonObject', type: apigw.JsonSchemaType.OBJECT },
    });
    // App routes authenticate the Bearer API key inside the function (hash lookup in DynamoDB).
    const appRead: apigw.MethodOptions = { authorizationType: apigw.AuthorizationType.NONE, requestValidator: validator };
    const appWrite: apigw.MethodOptions = { ...appRead, requestModels: { 'application/json': jsonObject } };

    const chat = new apigw.LambdaIntegration(this.chatFunction, {
      responseTransferMode: apigw.ResponseTransferMode.STREAM,
      timeout: streamTimeout,
      allowTestInvoke: false,
    });
    const buffered = new apigw.LambdaIntegration(this.apiFunction, { timeout: bufferedTimeout, allowTestInvoke: false });
    const admin = new apigw.LambdaIntegration(this.adminFunction, { timeout: bufferedTimeout, allowTestInvoke: false });

    const v1 = this.api.root.addResource('v1');
    v1.addResource('chat').addResource('completions').addMethod('POST', chat, appWrite);
    v1.addResource('messages').addMethod('POST', chat, appWrite);
    const models = v1.addResource('models');
    models.addMethod('GET', buffered, appRead);
    models.addResource('{model+}').addMethod('GET', buffered, appRead);
    v1.addResource('embeddings').addMethod('POST', buffered, appWrite);
    v1.addResource('usage').addMethod('GET', buffered, appRead);
    v1.addResource('key').addMethod('GET', buffered, appRead);
    // The key holder's own data-subject rights (§6): the admin function, authorized by the API key inside it.
    v1.addResource('privacy').addResource('{proxy+}').addMethod('ANY', admin, appRead);
    this.api.root
      .addResource('admin')
      .addResource('{proxy+}')
      .addMethod('ANY', admin, { authorizationType: apigw.AuthorizationType.IAM, requestValidator: validator });

    // ---- WAF (optional) -----------------------------------------------------------------
    if (props.waf?.enabled ?? ROUTER_DEFAULTS.wafEnabled) {
      this.webAcl = this.addWebAcl(props.waf?.rateLimitPer5Min ?? ROUTER_DEFAULTS.wafRateLimitPer5Min, namePrefix);
    }

    // ---- Monitoring ---------------------------------------------------------------------
    this.functionLogGroups = { chat: this.fnLogGroups.chat!, api: this.fnLogGroups.api!, admin: this.fnLogGroups.admin! };
    const monitoring = new RouterMonitoring(this, 'Monitoring', {
      api: this.api,
      functions: { chat: this.chatFunction, api: this.apiFunction, admin: this.adminFunction },
      functionLogGroups: this.functionLogGroups,
      providerIds: props.config.providers.map((p) => p.id),
      namePrefix,
      alarms: props.alarms,
      dashboard: props.dashboard ?? ROUTER_DEFAULTS.dashboard,
      alarmTopic: props.alarmTopic,
      alarmEmail: props.alarmEmail,
    });
    this.logMetrics = monitoring.logMetrics;
    this.alarms = monitoring.alarms;
    this.alarmTopic = monitoring.alarmTopic;
    this.dashboard = monitoring.dashboard;

    this.logGroups = this.ownedLogGroups;
    acknowledgeRouterFindings(this);
  }

  /** An encrypted log group with the configured retention. */
  private logGroup(id: string, logGroupName?: string): logs.LogGroup {
    const group = new logs.LogGroup(this, id, {
      logGroupName,
      retention: this.logRetention,
      encryptionKey: this.dataKey,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.ownedLogGroups.push(group);
    return group;
  }

  /** One function with its own role, log group, grants and environment. */
  private routerFunction(name: RouterFunction, timeout: Duration, description: string): NodejsFunction {
    const { config, data } = this.props;
    const pascal = name.charAt(0).toUpperCase() + name.slice(1);
    const logGroup = this.logGroup(`${pascal}Logs`);
    this.fnLogGroups[name] = logGroup;
    // Own role instead of the default one, which would attach the AWS-managed basic execution policy.
    const role = new iam.Role(this, `${pascal}Role`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Cheap Token Router ${name} function`,
    });
    logGroup.grantWrite(role);

    const environment: Record<string, string> = {
      CTR_HOME_REGION: config.primaryRegion,
      NODE_OPTIONS: '--enable-source-maps',
    };
    this.grantTables(name, role, environment);
    if (SECRET_FUNCTIONS.includes(name)) {
      environment.CTR_PROVIDER_SECRET_ARN = data.providerSecretArn;
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({ sid: 'ReadProviderSecret', actions: ['secretsmanager:GetSecretValue'], resources: [data.providerSecretArn] }),
      );
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: 'DecryptProviderSecret',
          actions: ['kms:Decrypt'],
          resources: [data.keyArn],
          conditions: { StringEquals: { 'kms:ViaService': `secretsmanager.${this.stack.region}.amazonaws.com` } },
        }),
      );
    }
    const dataKeyActions = DATA_KEY_ACTIONS[name];
    if (dataKeyActions) {
      environment.CTR_KMS_KEY_ARN = data.keyArn;
      // Per-account data keys (crypto-shredding): direct calls, always with an encryption context.
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: 'PerAccountDataKeys',
          actions: [...dataKeyActions],
          resources: [data.keyArn],
          // The runtime binds each data key to its account: EncryptionContext { accountId }.
          conditions: {
            Null: { 'kms:EncryptionContextKeys': 'false' },
            'ForAllValues:StringEquals': { 'kms:EncryptionContextKeys': ['accountId'] },
          },
        }),
      );
    }

    if (BEDROCK_FUNCTIONS.includes(name)) this.grantBedrock(role);

    const configJson = packConfigJson(JSON.stringify(inlineConfig(config)));
    const fn = new NodejsFunction(this, `${pascal}Function`, {
      entry: handlerEntry(name),
      handler: 'handler',
      description,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: this.props.memorySizeMb ?? ROUTER_DEFAULTS.memorySizeMb,
      timeout,
      role,
      logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      applicationLogLevelV2: lambda.ApplicationLogLevel.INFO,
      systemLogLevelV2: lambda.SystemLogLevel.WARN,
      environment,
      projectRoot: repoRoot,
      depsLockFilePath: fileURLToPath(new URL('../package-lock.json', import.meta.url)),
      bundling: {
        format: OutputFormat.ESM,
        target: 'node24',
        minify: true,
        sourceMap: true,
        sourcesContent: false,
        mainFields: ['module', 'main'],
        // Bundle the AWS SDK too: the same pinned version runs locally, in tests and in Lambda,
        // and a tree-shaken, minified bundle initializes faster than the runtime's full SDK.
        externalModules: [],
        // CommonJS dependencies inside an ESM bundle still call require() for Node built-ins.
        banner: "import{createRequire as __ctrCreateRequire}from'node:module';const require=__ctrCreateRequire(import.meta.url);",
        define: { 'process.env.CTR_CONFIG_JSON': JSON.stringify(configJson) },
      },
    });
    return fn;
  }

  /**
   * Table grants and env vars for one function. Tables are read and written in this region,
   * except the counter tables (`HOME_REGION_TABLES`), which every region uses in the home region.
   */
  private grantTables(name: RouterFunction, role: iam.Role, environment: Record<string, string>): void {
    const { config, data } = this.props;
    const keyUse = new Map<string, { keyArn: string; write: boolean }>();
    for (const [id, access] of Object.entries(TABLE_ACCESS[name]) as [TableId, 'read' | 'readWrite'][]) {
      const tableName = data.tableNames[id];
      environment[tableEnvVar(id)] = tableName;
      const home = HOME_REGION_TABLES.includes(id);
      const region = home ? config.primaryRegion : this.stack.region;
      const tableArn = this.stack.formatArn({ service: 'dynamodb', region, resource: 'table', resourceName: tableName });
      const indexArns = tableDefinition(id).indexes.map((ix) => `${tableArn}/index/${ix.indexName}`);
      const write = access === 'readWrite';
      const actions: string[] = [...DYNAMODB_READ_ACTIONS, ...(SCAN_FUNCTIONS.includes(name) ? ['dynamodb:Scan'] : []), ...(write ? DYNAMODB_WRITE_ACTIONS : [])];
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({ sid: `Table${id.charAt(0).toUpperCase()}${id.slice(1)}`, actions, resources: [tableArn, ...indexArns] }),
      );
      const keyArn = home && region !== this.stack.region ? data.homeKeyArn : data.keyArn;
      const prev = keyUse.get(region);
      keyUse.set(region, { keyArn, write: (prev?.write ?? false) || write });
    }
    // DynamoDB uses the table's key on the caller's behalf; allow it only through DynamoDB in that region.
    for (const [region, { keyArn, write }] of keyUse) {
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: `TableKey${region.replace(/-/g, '')}`,
          actions: write
            ? ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:ReEncryptFrom', 'kms:ReEncryptTo']
            : ['kms:Decrypt', 'kms:DescribeKey'],
          resources: [keyArn],
          conditions: { StringEquals: { 'kms:ViaService': `dynamodb.${region}.amazonaws.com` } },
        }),
      );
    }
  }

  /**
   * Bedrock offers are called with the function's role: allow invoking exactly the configured
   * models, in the region each Bedrock provider calls (its `region`, its endpoint's region, or
   * this region). A cross-region inference profile (`us.…`, `eu.…`) also needs its models in
   * every region it routes to, which IAM can only express with a region wildcard.
   */
  private grantBedrock(role: iam.Role): void {
    const { config } = this.props;
    const arns = new Set<string>();
    const anyRegion = new Set<string>();
    for (const provider of config.providers.filter((p) => p.kind === 'bedrock')) {
      const fromUrl = provider.baseUrl && /\bbedrock-runtime(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com/.exec(provider.baseUrl)?.[1];
      const region = provider.region ?? fromUrl ?? this.stack.region;
      for (const offer of config.models.flatMap((m) => m.offers).filter((o) => o.provider === provider.id)) {
        const id = offer.upstreamModel;
        if (id.startsWith('arn:')) {
          arns.add(id);
        } else if (/^(us|eu|apac|us-gov|global|jp|au|ca)\./.test(id)) {
          arns.add(this.stack.formatArn({ service: 'bedrock', region, resource: 'inference-profile', resourceName: id }));
          const model = id.slice(id.indexOf('.') + 1);
          const wildcard = `arn:${Aws.PARTITION}:bedrock:*::foundation-model/${model}`;
          arns.add(wildcard);
          anyRegion.add(`arn:<AWS::Partition>:bedrock:*::foundation-model/${model}`);
        } else {
          arns.add(this.stack.formatArn({ service: 'bedrock', region, account: '', resource: 'foundation-model', resourceName: id }));
        }
      }
    }
    if (arns.size === 0) return;
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'InvokeConfiguredBedrockModels',
        actions: ['bedrock:InvokeModel', 'bedrock:InvokeModelWithResponseStream'],
        resources: [...arns],
      }),
    );
    this.bedrockWildcards.push(...[...anyRegion].map((resource) => ({ role, resource })));
  }

  /** Errors produced by API Gateway itself (throttling, validation, IAM) in OpenAI's error shape. */
  private addOpenAiErrorResponses(): void {
    const body = (type: string) => ({
      'application/json': `{"error":{"message":$context.error.messageString,"type":"${type}","param":null,"code":"$context.error.responseType"}}`,
    });
    this.api.addGatewayResponse('Throttled', { type: apigw.ResponseType.THROTTLED, statusCode: '429', templates: body('rate_limit_error') });
    this.api.addGatewayResponse('BadRequestBody', { type: apigw.ResponseType.BAD_REQUEST_BODY, statusCode: '400', templates: body('invalid_request_error') });
    this.api.addGatewayResponse('Default4xx', { type: apigw.ResponseType.DEFAULT_4XX, templates: body('invalid_request_error') });
    this.api.addGatewayResponse('Default5xx', { type: apigw.ResponseType.DEFAULT_5XX, templates: body('api_error') });
  }

  /** Regional web ACL: allow by default, block a source IP above the rate limit. */
  private addWebAcl(limit: number, namePrefix: string): wafv2.CfnWebACL {
    const acl = new wafv2.CfnWebACL(this, 'WebAcl', {
      scope: 'REGIONAL',
      defaultAction: { allow: {} },
      description: 'Cheap Token Router: per-IP rate limit',
      // Sampled requests would keep request headers, including the Authorization header.
      visibilityConfig: { cloudWatchMetricsEnabled: true, metricName: `${namePrefix}-router`, sampledRequestsEnabled: false },
      rules: [
        {
          name: 'RateLimitPerIp',
          priority: 0,
          action: { block: {} },
          statement: { rateBasedStatement: { limit, aggregateKeyType: 'IP', evaluationWindowSec: 300 } },
          visibilityConfig: { cloudWatchMetricsEnabled: true, metricName: `${namePrefix}-rate-limit`, sampledRequestsEnabled: false },
        },
      ],
    });
    const association = new wafv2.CfnWebACLAssociation(this, 'WebAclAssociation', {
      resourceArn: this.api.deploymentStage.stageArn,
      webAclArn: acl.attrArn,
    });
    association.node.addDependency(this.api.deploymentStage);
    return acl;
  }
}

/** The config as inlined into bundles: `$schema` is an editor hint, not runtime data. */
function inlineConfig(config: RouterConfig): Omit<RouterConfig, '$schema'> {
  const { $schema: _ignored, ...rest } = config;
  return rest;
}
