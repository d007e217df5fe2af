/**
 * The budget-alert topic of one regional router: the functions that settle spend publish one
 * notification per budget, period and threshold crossed (`lambdas/core/budget-alerts.ts`); an
 * e-mail address and an HTTPS webhook may subscribe. The topic has a small key of its own: the
 * data key stays reserved for data, and the notification carries ids and amounts, never content.
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';

/** Budget alerts as configured (`deployment.budgetAlerts` in the router config). */
export interface BudgetAlertOptions {
  /**
   * Create the topic and send alerts. Implied by `email` or `webhookUrl`.
   *
   * @default false
   */
  readonly enabled?: boolean;
  /**
   * Budget use, in percent, at which one notification per budget and period is sent.
   *
   * @default [50, 80, 100]
   */
  readonly thresholdsPercent?: readonly number[];
  /**
   * E-mail address subscribed to the topic (it receives a confirmation first).
   *
   * @default - no e-mail subscription
   */
  readonly email?: string;
  /**
   * HTTPS endpoint subscribed to the topic (SNS sends a SubscriptionConfirmation it must confirm).
   *
   * @default - no webhook subscription
   */
  readonly webhookUrl?: string;
}

/** Props of {@link RouterBudgetAlerts}. */
export interface RouterBudgetAlertsProps extends BudgetAlertOptions {
  /** Roles of the functions that settle spend (they publish). */
  readonly publishers: readonly iam.IGrantable[];
}

/** Whether these options ask for a budget-alert topic. */
export function budgetAlertsWanted(options: BudgetAlertOptions | undefined): boolean {
  return !!options && (options.enabled === true || !!options.email || !!options.webhookUrl);
}

/** Default thresholds, in percent of a budget. */
export const BUDGET_ALERT_DEFAULT_THRESHOLDS: readonly number[] = [50, 80, 100];

/** The topic budget alerts go to, encrypted with a customer-managed key, SSL-only. */
export class RouterBudgetAlerts extends Construct {
  public readonly topic: sns.Topic;
  public readonly key: kms.Key;
  /** The thresholds the functions are told (environment `CTR_BUDGET_ALERT_THRESHOLDS`). */
  public readonly thresholdsPercent: readonly number[];

  constructor(scope: Construct, id: string, props: RouterBudgetAlertsProps) {
    super(scope, id);
    this.thresholdsPercent = [...new Set(props.thresholdsPercent ?? BUDGET_ALERT_DEFAULT_THRESHOLDS)].sort((a, b) => a - b);
    this.key = new kms.Key(this, 'Key', {
      description: 'Cheap Token Router: encrypts the budget-alert topic (ids and amounts, no content)',
      enableKeyRotation: true,
      pendingWindow: Duration.days(7),
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.topic = new sns.Topic(this, 'Topic', {
      displayName: 'Cheap Token Router budget alerts',
      masterKey: this.key,
      enforceSSL: true,
    });
    // Exact actions (grantPublish would add kms:GenerateDataKey*, a wildcard action).
    for (const publisher of props.publishers) {
      iam.Grant.addToPrincipal({ grantee: publisher, actions: ['sns:Publish'], resourceArns: [this.topic.topicArn] });
      iam.Grant.addToPrincipal({ grantee: publisher, actions: ['kms:GenerateDataKey', 'kms:Decrypt'], resourceArns: [this.key.keyArn] });
    }
    if (props.email) this.topic.addSubscription(new subscriptions.EmailSubscription(props.email));
    if (props.webhookUrl) {
      if (!props.webhookUrl.startsWith('https://')) throw new Error('RouterBudgetAlerts: webhookUrl must be an https:// URL');
      this.topic.addSubscription(new subscriptions.UrlSubscription(props.webhookUrl, { protocol: sns.SubscriptionProtocol.HTTPS }));
    }
  }

  /** The functions' environment: where to publish, and at which thresholds. */
  environment(): Record<string, string> {
    return { CTR_BUDGET_ALERT_TOPIC_ARN: this.topic.topicArn, CTR_BUDGET_ALERT_THRESHOLDS: this.thresholdsPercent.join(',') };
  }
}
