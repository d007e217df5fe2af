/**
 * Every cdk-nag (AwsSolutions) acknowledgement of the project, each with the reason it is
 * acceptable. Nothing else in the code base calls `Validations.of(…).acknowledge`.
 *
 * The constructs call these functions themselves, so a platform team that runs cdk-nag over its
 * own app gets the same, reasoned acknowledgements.
 */
import { type CfnElement, Stack, Token, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import type { IConstruct } from 'constructs';

/** A finding id as cdk-nag v3 reports it: `<pack>::<rule>[<finding>]`. */
const nag = (rule: string) => `AwsSolutions::AwsSolutions-${rule}`;

const REASONS = {
  appRoutesAuth:
    'OpenAI-compatible clients authenticate with a Bearer API key; the function checks it against a SHA-256 hash in DynamoDB (policy §5). ' +
    'Those clients cannot sign SigV4 or obtain Cognito tokens, and a Lambda authorizer would add a second invocation to every request.',
  corsPreflight:
    'A CORS preflight (OPTIONS) carries no credentials by the Fetch standard; the function answers it for the origins in cors.allowOrigins only ' +
    'and runs no route, so it reads no data.',
  noCognito:
    'No Cognito user pool by design: app routes use hashed API keys checked in the function, admin routes use IAM (SigV4) authorization.',
  wafOptional:
    'The web ACL is optional (router.waf.enabled) because it has a fixed monthly cost; without it, requests are limited by stage throttling ' +
    'and by per-key rate limits and budgets enforced in the functions.',
  apiGatewayAccountRole:
    'API Gateway writes access and execution logs through one account-level role; AmazonAPIGatewayPushToCloudWatchLogs is the AWS-documented ' +
    'policy for that role and grants CloudWatch Logs actions only.',
  bedrockInferenceProfile:
    'A cross-region Bedrock inference profile routes a request to the same model in several regions chosen by Bedrock; IAM needs the ' +
    'foundation-model ARN in each of them, so only the region is a wildcard, for exactly the configured model.',
  xrayTracing:
    "X-Ray's PutTraceSegments and PutTelemetryRecords support no resource-level permissions (the Service Authorization Reference lists " +
    'no resource type for them), so the policy that lets a traced function send its traces must name "*"; it grants those two actions only.',
  dataKeysNoPitr:
    "This table holds only wrapped per-account data keys. Erasure deletes an account's key so that its personal fields become unreadable in every " +
    'replica and backup (crypto-shredding, policy §6); a point-in-time backup of the key would undo that. Losing this table loses only encrypted ' +
    'profile fields, never usage, billing or keys.',
  operatorAdminRoutes:
    'The operator role may invoke every method under /admin/* of this one API and stage: the admin routes are its whole purpose, and the ' +
    "API's resource policy admits no other principal to them.",
  providerSecretRotation:
    'The secret holds API keys issued by third-party LLM providers; no rotation Lambda can issue new ones. Operators rotate them at the provider ' +
    'and update the secret (docs/DEPLOY.md).',
} as const;

/** What the router acknowledgements need to see of a `CheapTokenRouter` (structural, to avoid an import cycle). */
export interface AcknowledgeableRouter {
  readonly api: apigw.RestApi;
  readonly webAcl?: unknown;
  readonly bedrockWildcards: readonly { role: IConstruct; resource: string }[];
  readonly operatorRole: IConstruct;
  readonly tracingPolicies: readonly IConstruct[];
}

/** A stack attribute as cdk-nag prints it: the value when known at synthesis, else its pseudo parameter. */
const resolvedOr = (value: string, pseudo: string) => (Token.isUnresolved(value) ? pseudo : value);

/** Acknowledgements for one regional router. */
export function acknowledgeRouterFindings(router: AcknowledgeableRouter): void {
  for (const method of router.api.methods) {
    Validations.of(method).acknowledge({ id: nag('COG4'), reason: REASONS.noCognito });
    const cfn = method.node.defaultChild as apigw.CfnMethod;
    if (cfn.authorizationType === apigw.AuthorizationType.NONE) {
      const reason = method.httpMethod === 'OPTIONS' ? REASONS.corsPreflight : REASONS.appRoutesAuth;
      Validations.of(method).acknowledge({ id: nag('APIG4'), reason });
    }
  }
  if (router.webAcl === undefined) {
    Validations.of(router.api.deploymentStage).acknowledge({ id: nag('APIG3'), reason: REASONS.wafOptional });
  }
  for (const { role, resource } of router.bedrockWildcards) {
    Validations.of(role).acknowledge({ id: nag(`IAM5[Resource::${resource}]`), reason: REASONS.bedrockInferenceProfile });
  }
  for (const policy of router.tracingPolicies) {
    Validations.of(policy).acknowledge({ id: nag('IAM5[Resource::*]'), reason: REASONS.xrayTracing });
  }
  const stack = Stack.of(router.api);
  const apiId = stack.getLogicalId(router.api.node.defaultChild as CfnElement);
  Validations.of(router.operatorRole).acknowledge({
    id: nag(
      `IAM5[Resource::arn:${resolvedOr(stack.partition, '<AWS::Partition>')}:execute-api:${resolvedOr(stack.region, '<AWS::Region>')}:${resolvedOr(stack.account, '<AWS::AccountId>')}:<${apiId}>/*/*/admin/*]`,
    ),
    reason: REASONS.operatorAdminRoutes,
  });
  const accountRole = router.api.node.tryFindChild('CloudWatchRole');
  if (accountRole) {
    Validations.of(accountRole).acknowledge({
      id: nag('IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]'),
      reason: REASONS.apiGatewayAccountRole,
    });
  }
}

/** Acknowledgements for the data layer. */
export function acknowledgeDataFindings(data: {
  readonly providerSecret: IConstruct;
  readonly tablesWithoutPitr: readonly IConstruct[];
}): void {
  Validations.of(data.providerSecret).acknowledge({ id: nag('SMG4'), reason: REASONS.providerSecretRotation });
  for (const table of data.tablesWithoutPitr) Validations.of(table).acknowledge({ id: nag('DDB3'), reason: REASONS.dataKeysNoPitr });
}
