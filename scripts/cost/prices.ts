/**
 * Published on-demand prices, us-east-1, in USD, as `npm run cost` uses them. Read from the pages
 * below on 2026-11-28 (DynamoDB after its November 2024 on-demand reduction); re-check them before
 * quoting a figure, and change them here only.
 */
export const PRICES_AS_OF = '2026-11-28';

export const PRICES = {
  /** https://aws.amazon.com/lambda/pricing/ — Arm, first 7.5 billion GB-s a month. */
  lambdaArmPerGbSecond: 0.0000133334,
  /** Same page — x86, first 6 billion GB-s a month. */
  lambdaX86PerGbSecond: 0.0000166667,
  /** Same page — per request. */
  lambdaPerRequest: 0.2 / 1e6,
  /** https://aws.amazon.com/api-gateway/pricing/ — REST APIs, first 333 million requests a month. */
  apiGatewayRestPerRequest: 3.5 / 1e6,
  /** https://aws.amazon.com/dynamodb/pricing/on-demand/ — write request unit (1 KB). */
  dynamoWritePerUnit: 0.625 / 1e6,
  /** Same page — read request unit (4 KB, strongly consistent; eventually consistent is half a unit). */
  dynamoReadPerUnit: 0.125 / 1e6,
  /** Same page — replicated write request unit (global tables, per replica region). */
  dynamoReplicatedWritePerUnit: 0.625 / 1e6,
  /** https://aws.amazon.com/kms/pricing/ — per API request (0.03 USD per 10,000). */
  kmsPerRequest: 0.03 / 1e4,
  /** Same page — per customer-managed key (and per multi-Region replica key) per month. */
  kmsKeyPerMonth: 1,
  /** https://aws.amazon.com/cloudwatch/pricing/ — Logs ingestion (standard class), per GB. */
  logsIngestPerGb: 0.5,
  /** https://aws.amazon.com/sqs/pricing/ — standard queue, per request (64 KB chunk). */
  sqsPerRequest: 0.4 / 1e6,
  /** https://aws.amazon.com/waf/pricing/ — per million requests inspected; plus 5 USD per web ACL and 1 USD per rule a month. */
  wafPerRequest: 0.6 / 1e6,
  wafAclPerMonth: 5,
  wafRulePerMonth: 1,
  /** https://aws.amazon.com/secrets-manager/pricing/ — per secret (and per replica) per month. */
  secretPerMonth: 0.4,
} as const;

/** The fee a hosted router charges on spend (OpenRouter's fee on credit purchases), for comparison. */
export const HOSTED_ROUTER_FEE = 0.055;
