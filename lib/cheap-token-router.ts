/**
 * `CheapTokenRouter`: the router in one region. It composes the parts, each in a file of its own:
 * `RouterFunction` ×3 (streaming chat, buffered API, IAM-authorized admin) with their
 * `RouterFunctionRole`s (least-privilege grants, `bedrock-grants.ts`) and `RouterLogGroup`s,
 * `RouterApi` (REST API, stage, routes, gateway responses), the optional web ACL (`router-waf.ts`)
 * and `RouterMonitoring` (alarms, log metrics, dashboard). It provisions and wires; all request
 * logic is in `lambdas/`.
 *
 * It expects the data layer (tables, key, secret) to exist already: see `RouterData`, `DataKey`
 * and `addCheapTokenRouterStacks`, which deploys both in the right order.
 */

import { Duration, Stack, Token } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import type { RouterConfig } from '../lambdas/core/config';
import { DEADLINE_MARGIN_MS } from '../lambdas/handlers/streaming';
import { addAwsQuotaChecks } from './aws-quotas';
import { METRIC_NAMESPACE, NAMING_DEFAULTS, ROUTER_DEFAULTS } from './cheap-token-router-defaults';
import { acknowledgeRouterFindings } from './nag-suppressions';
import { RouterApi } from './router-api';
import { type BudgetAlertOptions, budgetAlertsWanted, RouterBudgetAlerts } from './router-budget-alerts';
import type { RouterDataReference } from './router-data-reference';
import { RouterFunction } from './router-function';
import { RouterFunctionRole } from './router-function-role';
import { RouterLogGroup } from './router-log-group';
import { type RouterAlarmOptions, type RouterAlarms, type RouterLogMetrics, RouterMonitoring } from './router-monitoring';
import { RouterQueues } from './router-queues';
import { buildRouterWebAcl, type RouterWafOptions } from './router-waf';
import { ROUTER_FUNCTIONS, type RouterFunctionName } from './table-access';
import { timeoutProblems } from './timeout-bounds';

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
   * Retention of the function, access and execution log groups. Their lines carry account and key ids
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
   * AWS X-Ray active tracing of every function (Powertools Tracer); the trace never holds a body.
   *
   * @default false
   */
  readonly tracing?: boolean;
  /**
   * Budget alerts: an SNS topic (customer-managed key) the chat and api functions notify once per
   * budget, period and threshold crossed, with optional e-mail and HTTPS webhook subscriptions.
   *
   * @default - no budget alerts (with `enabled`, `email` or `webhookUrl`: thresholds 50, 80 and 100 %)
   */
  readonly budgetAlerts?: BudgetAlertOptions;
  /**
   * Prefix of physical names (API name, alarm names, dashboard name, log-metric namespace).
   *
   * @default 'ctr'
   */
  readonly namePrefix?: string;
}

/** The Lambda description of each function. */
const FUNCTION_DESCRIPTIONS: Readonly<Record<RouterFunctionName, string>> = {
  chat: 'Streaming chat completions, messages and embeddings',
  api: 'Models, usage and key status',
  admin: 'Admin operations (IAM-authorized, operator role only)',
  privacy: "The key holder's own privacy rights (API key)",
  outbox: 'Replays metering from the outbox queue',
  erasure: 'Runs erasure jobs from their queue, page by page',
};

/** Timeout of the queue workers: the outbox replay, and one erasure run (it checkpoints and re-queues itself). */
const WORKER_TIMEOUTS: Readonly<Partial<Record<RouterFunctionName, Duration>>> = {
  outbox: Duration.seconds(60),
  erasure: Duration.minutes(5),
};

/** The router's resources in one region. */
export class CheapTokenRouter extends Construct {
  /** The REST API. */
  public readonly api: RouterApi;
  /** OpenAI-compatible base URL (`…/<stage>/v1`). */
  public readonly baseUrl: string;
  /** Streaming chat function (`POST /v1/chat/completions`, `POST /v1/messages`, `POST /v1/embeddings`). */
  public readonly chatFunction: RouterFunction;
  /** Buffered API function (`/v1/models`, `/v1/usage`, `/v1/key`, `/v1/dashboard`). */
  public readonly apiFunction: RouterFunction;
  /** Admin function (`/admin/*`, IAM-authorized, operator role only). */
  public readonly adminFunction: RouterFunction;
  /** The key holder's privacy function (`/v1/privacy/*`, API key). */
  public readonly privacyFunction: RouterFunction;
  /** The only principal the API admits to `/admin/*` (assumable by the account's administrators). */
  public readonly operatorRole: iam.Role;
  /** The metering outbox and erasure-job queues, with their DLQs and alarms. */
  public readonly queues: RouterQueues;
  /** Every function, by name. */
  public readonly functions: Readonly<Record<RouterFunctionName, RouterFunction>>;
  /** Each function's execution role. */
  public readonly functionRoles: Readonly<Record<RouterFunctionName, RouterFunctionRole>>;
  /** Each function's JSON log group. */
  public readonly functionLogGroups: Readonly<Record<RouterFunctionName, logs.LogGroup>>;
  /** Every log group this construct owns. */
  public readonly logGroups: readonly logs.LogGroup[];
  /** The web ACL, when enabled. */
  public readonly webAcl?: wafv2.CfnWebACL;
  /** Metrics counted from the functions' log lines (usage record / settle failures, upstream attempt failures). */
  public readonly logMetrics: RouterLogMetrics;
  /** The alarms, unless `alarms.enabled` is false. */
  public readonly alarms?: RouterAlarms;
  /** The topic alarms notify, when given or created for `alarmEmail`. */
  public readonly alarmTopic?: sns.ITopic;
  /** The CloudWatch dashboard, unless `dashboard` is false. */
  public readonly dashboard?: cloudwatch.Dashboard;
  /** The budget-alert topic and its key, when budget alerts are enabled. */
  public readonly budgetAlerts?: RouterBudgetAlerts;
  /** Region-wildcard Bedrock model ARNs (cross-region inference profiles), acknowledged per role. */
  public readonly bedrockWildcards: readonly { role: iam.IRole; resource: string }[];
  /** The X-Ray grants of the function roles, when tracing is on (acknowledged for their `*` resource). */
  public readonly tracingPolicies: readonly iam.Policy[];

  constructor(scope: Construct, id: string, props: CheapTokenRouterProps) {
    super(scope, id);
    // IAM, CloudFormation and Lambda quotas are checked over the synthesized templates.
    addAwsQuotaChecks(this);
    const { config, data } = props;
    const region = Stack.of(this).region;
    if (!Token.isUnresolved(region) && region !== config.primaryRegion && !config.replicaRegions.includes(region)) {
      throw new Error(`CheapTokenRouter: region ${region} is neither the config's primaryRegion nor one of its replicaRegions`);
    }
    const namePrefix = props.namePrefix ?? NAMING_DEFAULTS.namePrefix;
    const retention = props.logRetention ?? (ROUTER_DEFAULTS.logRetentionDays as logs.RetentionDays);
    if (retention > config.retention.usageDays) {
      throw new Error(
        `CheapTokenRouter: logRetention ${retention} days exceeds retention.usageDays ${config.retention.usageDays} (log lines carry account and key ids, usage data under policy §8)`,
      );
    }
    const streamTimeout = props.streamTimeout ?? Duration.seconds(ROUTER_DEFAULTS.streamTimeoutSeconds);
    if (streamTimeout.toSeconds() > 900) throw new Error('CheapTokenRouter: streamTimeout may be at most 15 minutes');
    const waits = timeoutProblems(config, streamTimeout.toSeconds(), DEADLINE_MARGIN_MS);
    if (waits.length) throw new Error(`CheapTokenRouter: ${waits.join('; ')}`);
    const bufferedTimeout = Duration.seconds(ROUTER_DEFAULTS.bufferedTimeoutSeconds);
    const encryptionKey = kms.Key.fromKeyArn(this, 'DataKey', data.keyArn);
    const logGroups: logs.LogGroup[] = [];
    const logGroup = (logGroupId: string, logGroupName?: string) => {
      const group = new RouterLogGroup(this, logGroupId, { encryptionKey, retention, logGroupName });
      logGroups.push(group);
      return group;
    };

    // Construct ids (`ChatLogs`, `ChatRole`, `ChatFunction`, `Api`, `AccessLogs`, …) are those of
    // earlier releases: they make the logical ids, and a changed one would replace the resource.
    const functions = {} as Record<RouterFunctionName, RouterFunction>;
    const roles = {} as Record<RouterFunctionName, RouterFunctionRole>;
    const functionLogGroups = {} as Record<RouterFunctionName, logs.LogGroup>;
    for (const name of ROUTER_FUNCTIONS) {
      const pascal = name.charAt(0).toUpperCase() + name.slice(1);
      functionLogGroups[name] = logGroup(`${pascal}Logs`);
      roles[name] = new RouterFunctionRole(this, `${pascal}Role`, {
        functionName: name,
        config,
        data,
        logGroup: functionLogGroups[name],
        tracing: props.tracing,
      });
      functions[name] = new RouterFunction(this, `${pascal}Function`, {
        functionName: name,
        config,
        data,
        role: roles[name],
        logGroup: functionLogGroups[name],
        timeout: name === 'chat' ? streamTimeout : (WORKER_TIMEOUTS[name] ?? bufferedTimeout),
        description: FUNCTION_DESCRIPTIONS[name],
        memorySizeMb: props.memorySizeMb,
        metricsNamespace: `${METRIC_NAMESPACE}/${namePrefix}`,
        tracing: props.tracing,
      });
    }
    if (budgetAlertsWanted(props.budgetAlerts)) {
      // The function that settles budget reservations (chat completions, messages, embeddings) sends the budget alerts.
      this.budgetAlerts = new RouterBudgetAlerts(this, 'BudgetAlerts', { ...props.budgetAlerts, publishers: [roles.chat] });
      for (const [k, v] of Object.entries(this.budgetAlerts.environment())) functions.chat.addEnvironment(k, v);
    }
    this.chatFunction = functions.chat;
    this.apiFunction = functions.api;
    this.adminFunction = functions.admin;
    this.privacyFunction = functions.privacy;
    this.functions = functions;
    this.operatorRole = new iam.Role(this, 'OperatorRole', {
      assumedBy: new iam.AccountRootPrincipal(),
      description: 'Cheap Token Router operator: the only principal admitted to /admin/* (docs/DEPLOY.md)',
    });
    this.functionRoles = roles;
    this.functionLogGroups = functionLogGroups;
    this.tracingPolicies = ROUTER_FUNCTIONS.flatMap((name) => roles[name].tracingPolicy ?? []);
    this.bedrockWildcards = ROUTER_FUNCTIONS.flatMap((name) =>
      roles[name].bedrockWildcards.map((resource) => ({ role: roles[name], resource })),
    );

    const executionLogging = props.executionLogging ?? ROUTER_DEFAULTS.executionLogging;
    this.api = new RouterApi(this, 'Api', {
      functions,
      accessLogGroup: logGroup('AccessLogs'),
      restApiName: `${namePrefix}-router`,
      streamTimeout,
      bufferedTimeout,
      stageName: props.stageName,
      throttlingRateLimit: props.throttlingRateLimit,
      throttlingBurstLimit: props.throttlingBurstLimit,
      executionLogging,
      manageApiGatewayAccountRole: props.manageApiGatewayAccountRole,
      operatorRole: this.operatorRole,
      corsPreflight: props.config.cors.allowOrigins.length > 0,
    });
    this.operatorRole.addToPolicy(
      new iam.PolicyStatement({
        sid: 'InvokeAdmin',
        actions: ['execute-api:Invoke'],
        resources: [this.api.arnForExecuteApi('*', '/admin/*')],
      }),
    );
    if (executionLogging) {
      // API Gateway would otherwise create this group itself: unencrypted and kept forever.
      this.api.deploymentStage.node.addDependency(logGroup('ExecutionLogs', this.api.executionLogGroupName));
    }
    this.baseUrl = this.api.baseUrl;

    if (props.waf?.enabled ?? ROUTER_DEFAULTS.wafEnabled) {
      const rateLimitPer5Min = props.waf?.rateLimitPer5Min ?? ROUTER_DEFAULTS.wafRateLimitPer5Min;
      this.webAcl = buildRouterWebAcl(this, { stage: this.api.deploymentStage, rateLimitPer5Min, namePrefix }).webAcl;
    }

    const monitoring = new RouterMonitoring(this, 'Monitoring', {
      api: this.api,
      functions,
      functionLogGroups,
      providerIds: config.providers.map((p) => p.id),
      namePrefix,
      alarms: props.alarms,
      dashboard: props.dashboard ?? ROUTER_DEFAULTS.dashboard,
      alarmTopic: props.alarmTopic,
      alarmEmail: props.alarmEmail,
    });
    this.queues = new RouterQueues(this, 'Queues', {
      encryptionKey,
      functions,
      namePrefix,
      alarmTopic: monitoring.alarmTopic,
      alarms: props.alarms?.enabled !== false,
    });
    this.logMetrics = monitoring.logMetrics;
    this.alarms = monitoring.alarms;
    this.alarmTopic = monitoring.alarmTopic;
    this.dashboard = monitoring.dashboard;
    this.dashboard?.addWidgets(this.queues.depthWidget());

    this.logGroups = logGroups;
    acknowledgeRouterFindings(this);
  }
}
