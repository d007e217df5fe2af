/** The router in one region (primary or replica). */
import { CfnOutput, CrossStackReferences, ReferenceStrength, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { CheapTokenRouter, type CheapTokenRouterProps } from '../cheap-token-router';

/** Props of {@link RouterStack}. */
export interface RouterStackProps extends StackProps {
  /** Props of the router construct. */
  readonly router: CheapTokenRouterProps;
}

export class RouterStack extends Stack {
  public readonly router: CheapTokenRouter;

  constructor(scope: Construct, id: string, props: RouterStackProps) {
    super(scope, id, props);
    CrossStackReferences.of(this).consume(ReferenceStrength.WEAK);
    this.router = new CheapTokenRouter(this, 'Router', props.router);
    new CfnOutput(this, 'EndpointUrl', { value: this.router.baseUrl, description: 'OpenAI-compatible base URL of this region' });
    new CfnOutput(this, 'KeyArn', { value: props.router.data.keyArn, description: 'Data key (KMS) used in this region' });
    new CfnOutput(this, 'HomeRegion', { value: props.router.config.primaryRegion, description: 'Region holding rate-limit and budget counters' });
  }
}
