/**
 * The `deployment` section of the router config: every setting of a `cdk deploy` that is not
 * runtime behaviour (names, alarms, WAF, memory, tracing, budget alerts). It lives in the same
 * JSON file and schema as the rest, so a platform team never edits TypeScript to deploy.
 */
import * as z from 'zod';
import { lazy } from '../domain/lazy';

/** A stage prefix: lower-case, starts with a letter, short enough for every AWS name it prefixes. */
const STAGE = /^[a-z][a-z0-9-]{0,19}$/;

/** The schema of the `deployment` section (built on first use). */
export const deploymentSchema = lazy(() =>
  z
    .object({
      namePrefix: z
        .string()
        .regex(STAGE, 'namePrefix: 1-20 lower-case letters, digits and dashes, starting with a letter')
        .default('ctr')
        .describe(
          'Prefix of every physical name (tables, key alias, secret, API, alarms, dashboard, topics). Two stages in one account need two prefixes, e.g. ctr-dev and ctr-prod',
        ),
      stackPrefix: z
        .string()
        .regex(/^[A-Za-z][A-Za-z0-9-]{0,29}$/)
        .optional()
        .describe('Prefix of stack names; defaults to namePrefix with a capital first letter (ctr-dev → Ctr-dev)'),
      memorySizeMb: z.number().int().min(128).max(10_240).default(256).describe('Memory of each function in MB'),
      alarmEmail: z.email().optional().describe('E-mail address subscribed to the alarm topic (one topic per region)'),
      dashboard: z.boolean().default(true).describe('One CloudWatch dashboard per region'),
      manageApiGatewayAccountRole: z
        .boolean()
        .default(true)
        .describe('Create the account-level API Gateway CloudWatch role; set false in every stage but one per account and region'),
      waf: z
        .object({
          enabled: z.boolean().default(false),
          rateLimitPer5Min: z
            .number()
            .int()
            .min(10)
            .max(2_000_000_000)
            .default(2000)
            .describe('Requests per source IP per 5 minutes before WAF blocks'),
        })
        .strict()
        .prefault({}),
      tracing: z.boolean().default(false).describe('AWS X-Ray tracing of the functions (Powertools Tracer); off by default'),
      mockInCloud: z
        .boolean()
        .default(false)
        .describe(
          'Deploy the offline mock provider and its models too (for smoke tests without provider keys); local mode only by default',
        ),
      budgetAlerts: z
        .object({
          enabled: z
            .boolean()
            .default(false)
            .describe('Create the budget-alert topic (implied by email or webhookUrl); a KMS key per region costs about 1 USD a month'),
          thresholdsPercent: z
            .array(z.number().int().min(1).max(1000))
            .default([50, 80, 100])
            .describe('Budget use (percent) at which one notification per budget and period is sent'),
          email: z.email().optional().describe('E-mail address subscribed to the budget-alert topic'),
          webhookUrl: z
            .url({ protocol: /^https$/ })
            .optional()
            .describe('HTTPS endpoint subscribed to the budget-alert topic (SNS HTTPS subscription; it must confirm)'),
        })
        .strict()
        .prefault({}),
    })
    .strict(),
);

/** The validated deployment settings, defaults applied. */
export type DeploymentConfig = z.infer<ReturnType<typeof deploymentSchema>>;

/**
 * Stack-name prefix of a deployment: the configured one, else the name prefix capitalised.
 *
 * @example
 * stackPrefixOf({ namePrefix: 'ctr-dev' }) // 'Ctr-dev'
 */
export function stackPrefixOf(d: Pick<DeploymentConfig, 'namePrefix' | 'stackPrefix'>): string {
  return d.stackPrefix ?? d.namePrefix.charAt(0).toUpperCase() + d.namePrefix.slice(1);
}
