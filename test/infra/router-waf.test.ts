/**
 * The optional WAF web ACL of a router stage (`lib/router-waf.ts`): off by default, and when on a
 * per-IP rate-based rule that keeps no sampled requests (they would hold Authorization headers).
 */
import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { expectProps, logicalIdOf, standaloneRouter } from './fixture';

describe('router WAF', () => {
  it('is off by default', () => {
    const { router, t } = standaloneRouter();
    t.resourceCountIs('AWS::WAFv2::WebACL', 0);
    t.resourceCountIs('AWS::WAFv2::WebACLAssociation', 0);
    expect(router.webAcl).toBeUndefined();
  });

  it('adds a rate-based WAF rule without sampled requests, associated with the stage', () => {
    const { router, t } = standaloneRouter({ waf: { enabled: true, rateLimitPer5Min: 500 } });
    t.resourceCountIs('AWS::WAFv2::WebACL', 1);
    expectProps(t, router.webAcl!, {
      Scope: 'REGIONAL',
      DefaultAction: { Allow: {} },
      Rules: [
        Match.objectLike({
          Action: { Block: {} },
          Statement: { RateBasedStatement: { Limit: 500, AggregateKeyType: 'IP' } },
          VisibilityConfig: Match.objectLike({ SampledRequestsEnabled: false }),
        }),
      ],
      VisibilityConfig: Match.objectLike({ SampledRequestsEnabled: false }),
    });
    t.resourceCountIs('AWS::WAFv2::WebACLAssociation', 1);
    t.hasResourceProperties('AWS::WAFv2::WebACLAssociation', { WebACLArn: { 'Fn::GetAtt': [logicalIdOf(router.webAcl!), 'Arn'] } });
    t.hasResource('AWS::WAFv2::WebACLAssociation', { DependsOn: Match.arrayWith([logicalIdOf(router.api.deploymentStage)]) });
  });

  it('defaults the rate limit to 2000 requests per IP and 5 minutes', () => {
    const { t } = standaloneRouter({ waf: { enabled: true } });
    t.hasResourceProperties('AWS::WAFv2::WebACL', {
      Rules: [Match.objectLike({ Statement: { RateBasedStatement: { Limit: 2000, AggregateKeyType: 'IP', EvaluationWindowSec: 300 } } })],
    });
  });
});
