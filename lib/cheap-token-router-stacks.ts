/**
 * All stacks of one deployment, in deploy order:
 *
 * 1. `<P>-Key-<primary>`: the multi-Region primary data key.
 * 2. `<P>-Key-<replica>` (per replica region): its replica (needs the primary's ARN).
 * 3. `<P>-Data` (primary region): global tables and the provider secret; each replica region's
 *    table/secret replica is encrypted with that region's replica key, so the replica keys must
 *    exist first — which is why the keys are not in this stack.
 * 4. `<P>-Router-<region>` (primary and each replica region): API, functions, logs.
 *
 * Cross-region values (the primary key ARN, the secret ARN) travel by `Fn::GetStackOutput`, so no
 * custom resources are needed. Table names are deterministic and identical in every region.
 */
import { Aws, type Environment, Fn, Stack } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { RouterConfig } from '../lambdas/core/config';
import type { CheapTokenRouterProps } from './cheap-token-router';
import { NAMING_DEFAULTS } from './cheap-token-router-defaults';
import { stackNames } from './naming';
import { DataStack } from './stacks/data-stack';
import { KeyStack } from './stacks/key-stack';
import { RouterStack } from './stacks/router-stack';

/** Props of {@link addCheapTokenRouterStacks}. */
export interface CheapTokenRouterStacksProps {
  /** The validated router config (regions, retention, providers, models). */
  readonly config: RouterConfig;
  /**
   * AWS account of every stack.
   *
   * @default - `process.env.CDK_DEFAULT_ACCOUNT`; when that is unset (no credentials), the stacks
   * are account-agnostic and CloudFormation fills in the account at deploy time
   */
  readonly account?: string;
  /**
   * Prefix of stack names.
   *
   * @default 'Ctr'
   */
  readonly stackPrefix?: string;
  /**
   * Prefix of physical resource names (tables, secret, key alias, API).
   *
   * @default 'ctr'
   */
  readonly namePrefix?: string;
  /**
   * Point-in-time recovery window of every table, in days.
   *
   * @default 35
   */
  readonly pitrRecoveryPeriodDays?: number;
  /**
   * Options of every regional router (memory, timeouts, throttling, logs, WAF, alarms, dashboard).
   * `alarmEmail` gives each region a topic of its own; an existing topic is per region, see `alarmTopicArns`.
   *
   * @default - the `CheapTokenRouter` defaults
   */
  readonly router?: Omit<CheapTokenRouterProps, 'config' | 'data' | 'namePrefix' | 'alarmTopic'>;
  /**
   * Existing SNS topic for the alarms, by region (an alarm can only notify a topic in its own region).
   * Regions without an entry fall back to `router.alarmEmail`, or to alarms without actions.
   *
   * @default - none
   */
  readonly alarmTopicArns?: Readonly<Record<string, string>>;
}

/** The stacks of one deployment. */
export interface CheapTokenRouterStacks {
  /** Key stack per region (primary first). */
  readonly keyStacks: Readonly<Record<string, KeyStack>>;
  readonly dataStack: DataStack;
  /** Router stack per region (primary first). */
  readonly routerStacks: Readonly<Record<string, RouterStack>>;
}

/**
 * Adds every stack of a Cheap Token Router deployment to an app (or stage).
 *
 * @example
 * const app = new App();
 * addCheapTokenRouterStacks(app, { config: loadConfigFile('config/router.config.json') });
 */
export function addCheapTokenRouterStacks(scope: Construct, props: CheapTokenRouterStacksProps): CheapTokenRouterStacks {
  const { config } = props;
  const stackPrefix = props.stackPrefix ?? NAMING_DEFAULTS.stackPrefix;
  const namePrefix = props.namePrefix ?? NAMING_DEFAULTS.namePrefix;
  const account = props.account ?? process.env.CDK_DEFAULT_ACCOUNT;
  const env = (region: string): Environment => ({ account, region });
  const primary = config.primaryRegion;
  const regions = [primary, ...config.replicaRegions];

  const keyStacks: Record<string, KeyStack> = {};
  const primaryKey = new KeyStack(scope, stackNames.key(stackPrefix, primary), {
    env: env(primary),
    stackName: stackNames.key(stackPrefix, primary),
    description: `Cheap Token Router: multi-Region primary data key (${primary})`,
    namePrefix,
  });
  keyStacks[primary] = primaryKey;
  for (const region of config.replicaRegions) {
    keyStacks[region] = new KeyStack(scope, stackNames.key(stackPrefix, region), {
      env: env(region),
      stackName: stackNames.key(stackPrefix, region),
      description: `Cheap Token Router: replica of the data key (${region})`,
      primaryKeyArn: primaryKey.dataKey.keyArn,
      namePrefix,
    });
  }

  const dataStack = new DataStack(scope, stackNames.data(stackPrefix), {
    env: env(primary),
    stackName: stackNames.data(stackPrefix),
    description: `Cheap Token Router: tables and provider secret (${primary}, replicas: ${config.replicaRegions.join(', ') || 'none'})`,
    key: primaryKey.dataKey.key,
    keyId: primaryKey.dataKey.keyId,
    replicaRegions: config.replicaRegions,
    namePrefix,
    pitrRecoveryPeriodDays: props.pitrRecoveryPeriodDays,
  });
  for (const region of config.replicaRegions)
    dataStack.addStackDependency(keyStacks[region]!, 'table and secret replicas are encrypted with the replica key');

  const routerStacks: Record<string, RouterStack> = {};
  for (const region of regions) {
    const keyStack = keyStacks[region]!;
    const routerStack: RouterStack = new RouterStack(scope, stackNames.router(stackPrefix, region), {
      env: env(region),
      alarmTopicArn: props.alarmTopicArns?.[region],
      stackName: stackNames.router(stackPrefix, region),
      description: `Cheap Token Router: API and functions (${region}${region === primary ? ', home region' : ''})`,
      router: {
        ...props.router,
        config,
        namePrefix,
        data: {
          tableNames: dataStack.data.tableNames,
          keyArn: keyStack.dataKey.keyArn,
          // Same key id in every region (multi-Region key); only the region differs.
          homeKeyArn: Stack.of(keyStack).formatArn({
            service: 'kms',
            region: primary,
            resource: 'key',
            resourceName: keyStack.dataKey.keyId,
          }),
          providerSecretArn:
            region === primary ? dataStack.data.providerSecretArn : replicaSecretArn(dataStack.data.providerSecretArn, region),
        },
      },
    });
    routerStack.addStackDependency(dataStack, 'functions use the tables and the secret');
    routerStacks[region] = routerStack;
  }
  return { keyStacks, dataStack, routerStacks };
}

/**
 * ARN of a secret's replica: Secrets Manager keeps name and random suffix, only the region
 * changes. `arn:aws:secretsmanager:<region>:<account>:secret:<name>-<suffix>`, field 6 is `<name>-<suffix>`.
 */
function replicaSecretArn(primaryArn: string, region: string): string {
  return Fn.join(':', ['arn', Aws.PARTITION, 'secretsmanager', region, Aws.ACCOUNT_ID, 'secret', Fn.select(6, Fn.split(':', primaryArn))]);
}
