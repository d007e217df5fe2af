/**
 * `RouterApi`: the regional REST API of one router — stage (throttling, JSON access logs of
 * request metadata only), the routes and their Lambda integrations (chat streamed, the rest
 * buffered), request validation, and API Gateway's own errors in OpenAI's error shape.
 */
import { type Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { CORS_FUNCTIONS } from '../lambdas/handlers/cors';
import { ROUTER_DEFAULTS } from './cheap-token-router-defaults';
import type { RouterFunctionName } from './table-access';

/** The functions behind the API's routes. */
export type ApiFunctionName = Extract<RouterFunctionName, 'chat' | 'api' | 'admin' | 'privacy'>;

/**
 * The API's resource policy: every route may be invoked (app routes check their API key in the
 * function), except `/admin/*`, which is denied to every principal but the operator role.
 */
export function apiResourcePolicy(operatorRole: iam.IRole): iam.PolicyDocument {
  return new iam.PolicyDocument({
    statements: [
      new iam.PolicyStatement({
        sid: 'InvokeRoutes',
        principals: [new iam.AnyPrincipal()],
        actions: ['execute-api:Invoke'],
        resources: ['execute-api:/*'],
      }),
      new iam.PolicyStatement({
        sid: 'AdminOnlyOperatorRole',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['execute-api:Invoke'],
        resources: ['execute-api:/*/*/admin/*'],
        conditions: { ArnNotEquals: { 'aws:PrincipalArn': operatorRole.roleArn } },
      }),
    ],
  });
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

/** One API route and the function that serves it. */
export interface RouterRoute {
  /** HTTP method (`ANY` for a proxy route). */
  readonly method: string;
  /** Resource path from the stage root. */
  readonly path: string;
  /** The function that serves it (`chat` is the streamed integration). */
  readonly target: ApiFunctionName;
  /**
   * `apiKey`: the function checks the Bearer API key itself (hash lookup in DynamoDB);
   * `iam`: API Gateway requires a SigV4-signed request.
   */
  readonly auth: 'apiKey' | 'iam';
  /** The request carries a JSON object body, which API Gateway checks before invoking. */
  readonly jsonBody?: boolean;
}

/** Every route of the API, in creation order. */
export const ROUTER_ROUTES: readonly RouterRoute[] = [
  { method: 'POST', path: '/v1/chat/completions', target: 'chat', auth: 'apiKey', jsonBody: true },
  { method: 'POST', path: '/v1/messages', target: 'chat', auth: 'apiKey', jsonBody: true },
  // Streamed like chat, so metering runs after the client has the whole answer (a buffered function returns only after it).
  { method: 'POST', path: '/v1/embeddings', target: 'chat', auth: 'apiKey', jsonBody: true },
  { method: 'GET', path: '/v1/models', target: 'api', auth: 'apiKey' },
  { method: 'GET', path: '/v1/models/{model+}', target: 'api', auth: 'apiKey' },
  { method: 'GET', path: '/v1/usage', target: 'api', auth: 'apiKey' },
  { method: 'GET', path: '/v1/key', target: 'api', auth: 'apiKey' },
  // The key holder's read-only page; it holds no data and calls /v1/usage and /v1/key with the key the user pastes.
  { method: 'GET', path: '/v1/dashboard', target: 'api', auth: 'apiKey' },
  // The key holder's own data-subject rights (§6): their own function, authorized by the API key inside it.
  { method: 'ANY', path: '/v1/privacy/{proxy+}', target: 'privacy', auth: 'apiKey' },
  { method: 'ANY', path: '/admin/{proxy+}', target: 'admin', auth: 'iam' },
];

/** Props of {@link RouterApi}. */
export interface RouterApiProps {
  /** The functions behind the routes. */
  readonly functions: Readonly<Record<ApiFunctionName, lambda.IFunction>>;
  /**
   * The only principal admitted to `/admin/*` (the API's resource policy denies every other one,
   * even an IAM principal of the account allowed `execute-api:Invoke`).
   */
  readonly operatorRole: iam.IRole;
  /** Log group of the stage's access logs. */
  readonly accessLogGroup: logs.ILogGroup;
  /** Name of the REST API. */
  readonly restApiName: string;
  /** Integration timeout of the streamed chat routes (up to 15 minutes). */
  readonly streamTimeout: Duration;
  /** Integration timeout of the buffered routes (up to 29 seconds). */
  readonly bufferedTimeout: Duration;
  /**
   * Add an unauthenticated `OPTIONS` method to every resource of the chat and api functions, invoking
   * the same function, so browsers' CORS preflights reach it (it answers them for the config's
   * `cors.allowOrigins` only). Admin and privacy resources never get one.
   *
   * @default false
   */
  readonly corsPreflight?: boolean;
  /**
   * Stage name.
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
   * Execution logging at ERROR level (never data trace, which would log bodies). The log group
   * `API-Gateway-Execution-Logs_<api id>/<stage>` should be pre-created, encrypted and with a retention.
   *
   * @default true
   */
  readonly executionLogging?: boolean;
  /**
   * Create the account-level CloudWatch Logs role of API Gateway.
   *
   * @default true
   */
  readonly manageApiGatewayAccountRole?: boolean;
}

/** The router's REST API with its stage and routes. */
export class RouterApi extends apigw.RestApi {
  /** OpenAI-compatible base URL (`…/<stage>/v1`). */
  public readonly baseUrl: string;
  /** Name of the execution log group API Gateway writes to (whether or not execution logging is on). */
  public readonly executionLogGroupName: string;

  constructor(scope: Construct, id: string, props: RouterApiProps) {
    const stageName = props.stageName ?? ROUTER_DEFAULTS.stageName;
    const executionLogging = props.executionLogging ?? ROUTER_DEFAULTS.executionLogging;
    const cloudWatchRole = props.manageApiGatewayAccountRole ?? ROUTER_DEFAULTS.manageApiGatewayAccountRole;
    super(scope, id, {
      restApiName: props.restApiName,
      description: 'Cheap Token Router: OpenAI-compatible LLM gateway',
      endpointConfiguration: { types: [apigw.EndpointType.REGIONAL] },
      policy: apiResourcePolicy(props.operatorRole),
      cloudWatchRole,
      // The account-level role outlives this stack (other APIs of the account log through it). Only
      // set when the role is created: API Gateway rejects a removal policy for a role it does not own.
      cloudWatchRoleRemovalPolicy: cloudWatchRole ? RemovalPolicy.RETAIN : undefined,
      deployOptions: {
        stageName,
        accessLogDestination: new apigw.LogGroupLogDestination(props.accessLogGroup),
        accessLogFormat: apigw.AccessLogFormat.custom(JSON.stringify(ACCESS_LOG_FIELDS)),
        loggingLevel: executionLogging ? apigw.MethodLoggingLevel.ERROR : apigw.MethodLoggingLevel.OFF,
        dataTraceEnabled: false,
        metricsEnabled: true,
        throttlingRateLimit: props.throttlingRateLimit ?? ROUTER_DEFAULTS.throttlingRateLimit,
        throttlingBurstLimit: props.throttlingBurstLimit ?? ROUTER_DEFAULTS.throttlingBurstLimit,
      },
    });
    this.executionLogGroupName = `API-Gateway-Execution-Logs_${this.restApiId}/${stageName}`;
    this.baseUrl = `${this.url}v1`;
    addOpenAiGatewayResponses(this);
    this.addRoutes(props);
  }

  private addRoutes(props: RouterApiProps): void {
    const validator = this.addRequestValidator('Validator', { validateRequestBody: true, validateRequestParameters: true });
    const jsonObject = this.addModel('JsonObjectBody', {
      contentType: 'application/json',
      description: 'Any JSON object; the functions validate the OpenAI schema and answer in its error format',
      schema: { schema: apigw.JsonSchemaVersion.DRAFT4, title: 'JsonObject', type: apigw.JsonSchemaType.OBJECT },
    });
    const integrations: Record<ApiFunctionName, apigw.LambdaIntegration> = {
      chat: new apigw.LambdaIntegration(props.functions.chat, {
        responseTransferMode: apigw.ResponseTransferMode.STREAM,
        timeout: props.streamTimeout,
        allowTestInvoke: false,
      }),
      api: new apigw.LambdaIntegration(props.functions.api, { timeout: props.bufferedTimeout, allowTestInvoke: false }),
      admin: new apigw.LambdaIntegration(props.functions.admin, { timeout: props.bufferedTimeout, allowTestInvoke: false }),
      privacy: new apigw.LambdaIntegration(props.functions.privacy, { timeout: props.bufferedTimeout, allowTestInvoke: false }),
    };
    for (const route of ROUTER_ROUTES) {
      const options: apigw.MethodOptions = {
        authorizationType: route.auth === 'iam' ? apigw.AuthorizationType.IAM : apigw.AuthorizationType.NONE,
        requestValidator: validator,
        ...(route.jsonBody ? { requestModels: { 'application/json': jsonObject } } : {}),
      };
      this.root.resourceForPath(route.path).addMethod(route.method, integrations[route.target], options);
    }
    if (props.corsPreflight) this.addPreflightMethods(integrations);
  }

  /**
   * `OPTIONS` on each CORS resource, without authorization (a preflight carries no credentials),
   * to the function that serves the resource: it answers the preflight before any authentication.
   */
  private addPreflightMethods(integrations: Record<ApiFunctionName, apigw.LambdaIntegration>): void {
    const done = new Set<string>();
    for (const route of ROUTER_ROUTES) {
      if (!CORS_FUNCTIONS.has(route.target) || done.has(route.path)) continue;
      done.add(route.path);
      this.root
        .resourceForPath(route.path)
        .addMethod('OPTIONS', integrations[route.target], { authorizationType: apigw.AuthorizationType.NONE });
    }
  }
}

/** Errors produced by API Gateway itself (throttling, validation, IAM) in OpenAI's error shape. */
function addOpenAiGatewayResponses(api: apigw.RestApi): void {
  const body = (type: string) => ({
    'application/json': `{"error":{"message":$context.error.messageString,"type":"${type}","param":null,"code":"$context.error.responseType"}}`,
  });
  api.addGatewayResponse('Throttled', { type: apigw.ResponseType.THROTTLED, statusCode: '429', templates: body('rate_limit_error') });
  api.addGatewayResponse('BadRequestBody', {
    type: apigw.ResponseType.BAD_REQUEST_BODY,
    statusCode: '400',
    templates: body('invalid_request_error'),
  });
  api.addGatewayResponse('Default4xx', { type: apigw.ResponseType.DEFAULT_4XX, templates: body('invalid_request_error') });
  api.addGatewayResponse('Default5xx', { type: apigw.ResponseType.DEFAULT_5XX, templates: body('api_error') });
}
