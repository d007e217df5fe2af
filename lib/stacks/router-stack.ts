/** The router in one region (primary or replica). */
import { Arn, ArnFormat, CfnOutput, CrossStackReferences, ReferenceStrength, Stack, type StackProps, Token } from 'aws-cdk-lib';
import * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { CheapTokenRouter, type CheapTokenRouterProps } from '../cheap-token-router';

/** Props of {@link RouterStack}. */
export interface RouterStackProps extends StackProps {
  /** Props of the router construct. */
  readonly router: CheapTokenRouterProps;
  /**
   * ARN of an existing SNS topic in this stack's region for the alarms (overrides `router.alarmTopic`).
   *
   * @default - `router.alarmTopic`, else a topic for `router.alarmEmail`, else no alarm actions
   */
  readonly alarmTopicArn?: string;
}

export class RouterStack extends Stack {
  public readonly router: CheapTokenRouter;

  constructor(scope: Construct, id: string, props: RouterStackProps) {
    super(scope, id, props);
    CrossStackReferences.of(this).consume(ReferenceStrength.WEAK);
    let alarmTopic = props.router.alarmTopic;
    if (props.alarmTopicArn !== undefined) {
      const topicRegion = Token.isUnresolved(props.alarmTopicArn)
        ? undefined
        : Arn.split(props.alarmTopicArn, ArnFormat.NO_RESOURCE_NAME).region;
      if (topicRegion !== undefined && !Token.isUnresolved(this.region) && topicRegion !== this.region) {
        throw new Error(`RouterStack ${this.stackName}: alarm topic ${props.alarmTopicArn} is in ${topicRegion}, not in ${this.region}`);
      }
      alarmTopic = sns.Topic.fromTopicArn(this, 'AlarmTopic', props.alarmTopicArn);
    }
    this.router = new CheapTokenRouter(this, 'Router', { ...props.router, alarmTopic });
    new CfnOutput(this, 'EndpointUrl', { value: this.router.baseUrl, description: 'OpenAI-compatible base URL of this region' });
    new CfnOutput(this, 'KeyArn', { value: props.router.data.keyArn, description: 'Data key (KMS) used in this region' });
    new CfnOutput(this, 'OperatorRoleArn', {
      value: this.router.operatorRole.roleArn,
      description: 'The only principal admitted to /admin/* (assume it to sign admin calls)',
    });
    new CfnOutput(this, 'HomeRegion', {
      value: props.router.config.primaryRegion,
      description: 'Region holding rate-limit and budget counters',
    });
  }
}
