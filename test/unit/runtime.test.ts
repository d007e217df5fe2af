import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { jsonLogger } from '../../lambdas/core/log';
import { createRuntime } from '../../lambdas/handlers/runtime';
import { checkJava } from '../../lambdas/local/dynamodb-local';
import { defaultConfig } from '../helpers/config';

const env = (over: NodeJS.ProcessEnv) => ({
  CTR_CONFIG_JSON: JSON.stringify(defaultConfig()),
  CTR_LOCAL_MASTER_KEY: randomBytes(32).toString('hex'),
  CTR_DYNAMODB_ENDPOINT: undefined,
  ...over,
});
const regionOf = (repo: unknown) => (repo as { db: { config: { region: () => Promise<string> } } }).db.config.region();

describe('runtime wiring', () => {
  it('in a replica region, budget and rate-limit counters go to the home region; everything else stays local', async () => {
    const rt = await createRuntime(
      env({ AWS_REGION: 'eu-west-1', CTR_HOME_REGION: 'us-east-1' }),
      jsonLogger(() => undefined),
    );
    expect(await regionOf(rt.limits)).toBe('us-east-1');
    expect(await regionOf(rt.usage)).toBe('eu-west-1');
    expect(await regionOf(rt.keys)).toBe('eu-west-1');
  });

  it('in the home region, counters use the same (local) client', async () => {
    const rt = await createRuntime(
      env({ AWS_REGION: 'us-east-1', CTR_HOME_REGION: 'us-east-1' }),
      jsonLogger(() => undefined),
    );
    expect(await regionOf(rt.limits)).toBe('us-east-1');
  });

  it('only providers with a credential (or none needed) are usable locally', async () => {
    const rt = await createRuntime(
      env({ AWS_REGION: 'us-east-1', GROQ_API_KEY: 'k' }),
      jsonLogger(() => undefined),
    );
    expect(rt.credentials.usable.has('mock')).toBe(true);
    expect(rt.credentials.usable.has('groq')).toBe(true);
    expect(rt.credentials.usable.has('together')).toBe(false);
    expect(rt.credentials.apiKeyFor(rt.catalog.providers.get('groq')!)).toBe('k');
    // Bedrock signs with AWS credentials: usable only where there are some.
    expect(rt.credentials.usable.has('bedrock')).toBe(false);
    const withAws = await createRuntime(
      env({ AWS_REGION: 'us-east-1', AWS_PROFILE: 'ops' }),
      jsonLogger(() => undefined),
    );
    expect(withAws.credentials.usable.has('bedrock')).toBe(true);
  });
});

describe('table names', () => {
  it('CTR_TABLE_PREFIX=ctr- names exactly the tables the stacks create (the CLI against a deployed stack)', async () => {
    const { tableNamesFromEnv, TABLES } = await import('../../lambdas/store/tables');
    const { tableName } = await import('../../lib/naming');
    const names = tableNamesFromEnv({ CTR_TABLE_PREFIX: 'ctr-' });
    for (const t of TABLES) expect(names[t.id]).toBe(tableName('ctr', t.id));
  });
});

describe('local mode', () => {
  it('says plainly when Java is missing', () => {
    expect(() => checkJava({ PATH: '/nonexistent' })).toThrow(
      /Java was not found\. Local mode runs DynamoDB Local, which needs a Java runtime/,
    );
  });
});
