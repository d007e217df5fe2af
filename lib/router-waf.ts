/**
 * The optional regional WAF web ACL of a router stage: allow by default, block a source IP above
 * a rate limit. Built into the caller's scope (`WebAcl`, `WebAclAssociation`), as the
 * aws-solutions-constructs `build*` helpers do, so the resources keep their logical ids.
 */
import type * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import type { Construct } from 'constructs';

/** WAF options of `CheapTokenRouterProps`. */
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

/** Props of {@link buildRouterWebAcl}. */
export interface RouterWebAclProps {
  /** The stage the web ACL protects. */
  readonly stage: apigw.Stage;
  /** Requests per source IP in any 5-minute window before the rate-based rule blocks. */
  readonly rateLimitPer5Min: number;
  /** Prefix of the CloudWatch metric names (`<namePrefix>-router`, `<namePrefix>-rate-limit`). */
  readonly namePrefix: string;
}

/** The web ACL and its association with the stage. */
export interface RouterWebAcl {
  /** The regional web ACL. */
  readonly webAcl: wafv2.CfnWebACL;
  /** Its association with the stage. */
  readonly association: wafv2.CfnWebACLAssociation;
}

/**
 * Adds a regional web ACL with a per-IP rate-based rule to `scope`, associated with the stage.
 *
 * @example
 * const { webAcl } = buildRouterWebAcl(this, { stage: api.deploymentStage, rateLimitPer5Min: 2000, namePrefix: 'ctr' });
 */
export function buildRouterWebAcl(scope: Construct, props: RouterWebAclProps): RouterWebAcl {
  const { namePrefix } = props;
  const webAcl = new wafv2.CfnWebACL(scope, 'WebAcl', {
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
        statement: { rateBasedStatement: { limit: props.rateLimitPer5Min, aggregateKeyType: 'IP', evaluationWindowSec: 300 } },
        visibilityConfig: { cloudWatchMetricsEnabled: true, metricName: `${namePrefix}-rate-limit`, sampledRequestsEnabled: false },
      },
    ],
  });
  const association = new wafv2.CfnWebACLAssociation(scope, 'WebAclAssociation', {
    resourceArn: props.stage.stageArn,
    webAclArn: webAcl.attrArn,
  });
  association.node.addDependency(props.stage);
  return { webAcl, association };
}
