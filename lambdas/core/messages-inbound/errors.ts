/** Errors only the Anthropic-compatible route raises. */
import { RouterError } from '../../domain/errors';

/** The 401 for a request that carries neither `x-api-key` nor `Authorization: Bearer`. */
export function anthropicKeyMissing(): RouterError {
  return RouterError.unauthorized(
    'Missing API key. Send "x-api-key: <key>" or "Authorization: Bearer <key>"; create a key with `npx ctr keys create`.',
  );
}
