/**
 * `RouterLogGroup`: every log group of a regional router (functions, API access and execution
 * logs) is encrypted with the data key and expires (policy §5, §8).
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';

/** Props of {@link RouterLogGroup}. */
export interface RouterLogGroupProps {
  /** The key that encrypts the log events (the data key in this region). */
  readonly encryptionKey: kms.IKey;
  /** How long log events are kept. */
  readonly retention: logs.RetentionDays;
  /**
   * Physical name, for a group another service writes to by name (API Gateway execution logs).
   *
   * @default - a generated name
   */
  readonly logGroupName?: string;
}

/** A KMS-encrypted log group with a retention, destroyed with the stack. */
export class RouterLogGroup extends logs.LogGroup {
  constructor(scope: Construct, id: string, props: RouterLogGroupProps) {
    super(scope, id, {
      logGroupName: props.logGroupName,
      retention: props.retention,
      encryptionKey: props.encryptionKey,
      removalPolicy: RemovalPolicy.DESTROY,
    });
  }
}
