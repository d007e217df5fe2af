import { describe, expect, it } from 'vitest';
import { Authenticator, KEY_CACHE_TTL_MS } from '../../lambdas/core/auth';
import { RouterError } from '../../lambdas/domain/errors';
import { asHttp } from '../helpers/http-error';

describe('API-key authentication', () => {
  it('a revoked key stops working within the cache TTL (the documented revocation bound)', async () => {
    let now = 0;
    let revoked = false;
    let lookups = 0;
    const auth = new Authenticator(
      async (secret) => {
        lookups++;
        return secret === 'sk-ctr-good' && !revoked ? { accountId: 'a', keyId: 'k' } : undefined;
      },
      KEY_CACHE_TTL_MS,
      () => now,
    );
    await expect(auth.authenticate('Bearer sk-ctr-good')).resolves.toMatchObject({ accountId: 'a' });
    revoked = true;
    now += KEY_CACHE_TTL_MS - 1;
    await expect(auth.authenticate('Bearer sk-ctr-good')).resolves.toMatchObject({ accountId: 'a' });
    expect(lookups).toBe(1);
    now += 1;
    expect(asHttp(await auth.authenticate('Bearer sk-ctr-good').catch((e: unknown) => e))).toMatchObject({ status: 401 });
    expect(lookups).toBe(2);
  });

  it('rejects missing or malformed Authorization headers with a 401 in OpenAI shape', async () => {
    const auth = new Authenticator(async () => undefined);
    for (const h of [undefined, '', 'Basic abc', 'Bearer']) {
      const err = await auth.authenticate(h).catch((e) => e);
      expect(err).toBeInstanceOf(RouterError);
      expect(asHttp(err)).toMatchObject({ type: 'authentication_error', code: 'invalid_api_key' });
    }
  });
});
