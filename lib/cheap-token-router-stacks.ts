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
 * The primary key ARN travels by `Fn::GetStackOutput` (never nested in another intrinsic), so no
 * custom resources are needed. Table and secret names are deterministic and identical in every
 * region, so a replica region addresses its secret replica by name (see `replicaSecret`).
 *
 * Names, memory, alarms, WAF and tracing come from the config's `deployment` section; props
 * given here override it.
 */
import { ArnFormat, type Environment, Stack } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { RouterConfig } from '../lambdas/core/config';
import { stackPrefixOf } from '../lambdas/core/deployment-config';
import { addAwsQuotaChecks } from './aws-quotas';
import type { CheapTokenRouterProps } from './cheap-token-router';
import { providerSecretName, stackNames } from './naming';
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
   * @default - `config.deployment.stackPrefix`, else `namePrefix` capitalised ('Ctr')
   */
  readonly stackPrefix?: string;
  /**
   * Prefix of physical resource names (tables, secret, key alias, API, alarms, dashboard).
   *
   * @default - `config.deployment.namePrefix` ('ctr')
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
   * @default - `config.deployment` (memory, alarm e-mail, WAF, dashboard, tracing), then the `CheapTokenRouter` defaults
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
  addAwsQuotaChecks(scope);
  const deployment = config.deployment;
  const namePrefix = props.namePrefix ?? deployment.namePrefix;
  const stackPrefix = props.stackPrefix ?? stackPrefixOf({ namePrefix, stackPrefix: deployment.stackPrefix });
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
    replicaKeyArns: Object.fromEntries(config.replicaRegions.map((r) => [r, keyStacks[r]!.dataKey.keyArn])),
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
        memorySizeMb: deployment.memorySizeMb,
        alarmEmail: deployment.alarmEmail,
        dashboard: deployment.dashboard,
        manageApiGatewayAccountRole: deployment.manageApiGatewayAccountRole,
        waf: deployment.waf,
        tracing: deployment.tracing,
        budgetAlerts: deployment.budgetAlerts,
        ...props.router,
        config,
        namePrefix,
        data: {
          tableNames: dataStack.data.tableNames,
          keyArn: keyStack.dataKey.keyArn,
          // The home key's whole ARN, so a replica region reads it with a bare Fn::GetStackOutput.
          homeKeyArn: primaryKey.dataKey.keyArn,
          ...(region === primary
            ? { providerSecretArn: dataStack.data.providerSecretArn }
            : replicaSecret(Stack.of(keyStack), namePrefix, region)),
        },
      },
    });
    routerStack.addStackDependency(dataStack, 'functions use the tables and the secret');
    routerStacks[region] = routerStack;
  }
  return { keyStacks, dataStack, routerStacks };
}

/**
 * The provider secret's replica in a replica region, without a cross-region reference: Secrets
 * Manager keeps the name in every replica (only the 6-character random suffix of the ARN is
 * unknown), so the function reads it by name and its role may read `<name>-??????` — the form
 * the Secrets Manager documentation gives for a secret whose suffix is not known.
 */
function replicaSecret(stack: Stack, namePrefix: string, region: string): { providerSecretArn: string; providerSecretId: string } {
  const name = providerSecretName(namePrefix);
  return {
    providerSecretArn: stack.formatArn({
      service: 'secretsmanager',
      region,
      resource: 'secret',
      resourceName: `${name}-??????`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    }),
    providerSecretId: name,
  };
}
