/** The data key in one region: the multi-Region primary (primary region) or a replica of it. */
import { CfnOutput, CrossStackReferences, ReferenceStrength, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { DataKey } from '../data-key';

/** Props of {@link KeyStack}. */
export interface KeyStackProps extends StackProps {
  /**
   * ARN of the multi-Region primary key, in another region's key stack.
   *
   * @default - this stack holds the multi-Region primary key
   */
  readonly primaryKeyArn?: string;
  /**
   * Prefix of the key alias.
   *
   * @default 'ctr'
   */
  readonly namePrefix?: string;
}

/** One per region; replica-region key stacks deploy after the primary one and before the data stack. */
export class KeyStack extends Stack {
  /** The data key in this region. */
  public readonly dataKey: DataKey;

  constructor(scope: Construct, id: string, props: KeyStackProps) {
    super(scope, id, props);
    // References into other stacks/regions resolve with Fn::GetStackOutput (no custom resources,
    // no export lock-in); everything they point at is retained, so they cannot dangle.
    CrossStackReferences.of(this).consume(ReferenceStrength.WEAK);
    this.dataKey = new DataKey(this, 'DataKey', { primaryKeyArn: props.primaryKeyArn, namePrefix: props.namePrefix });
    new CfnOutput(this, 'KeyArn', { value: this.dataKey.keyArn, description: 'Data key (KMS) in this region' });
  }
}
