/**
 * The console's JSON endpoints (/api/*), transport-neutral: method, path, query and parsed body in,
 * status and JSON out. Each endpoint is one ConsoleBackend call; errors are the router's domain errors,
 * rendered with the same statuses and OpenAI-shaped bodies as the admin API.
 */
import { USAGE_GROUPINGS, type UsageGrouping } from '../core/usage-report';
import { RouterError } from '../domain/errors';
import { httpErrorOf } from '../handlers/http-errors';
import type { ConsoleBackend } from './backend';
import { overview } from './overview';

export interface ApiResponse {
  status: number;
  body: string;
}

const GROUPS: readonly UsageGrouping[] = USAGE_GROUPINGS;

type Handler = (backend: ConsoleBackend, params: string[], query: URLSearchParams, body: unknown) => Promise<unknown>;

/** [method, path pattern, handler]; `([^/]+)` captures a path parameter. */
const ENDPOINTS: ReadonlyArray<readonly [string, RegExp, Handler]> = [
  ['GET', /^\/api\/accounts$/, async (b) => ({ data: await b.listAccounts() })],
  [
    'GET',
    /^\/api\/overview$/,
    (b, _p, q) => {
      const to = q.get('to') ?? new Date().toISOString().slice(0, 10);
      return overview(b, q.get('from') ?? `${to.slice(0, 8)}01`, to);
    },
  ],
  ['POST', /^\/api\/accounts$/, (b, _p, _q, body) => b.createAccount(body)],
  ['POST', /^\/api\/accounts\/([^/]+)$/, (b, [id], _q, body) => b.updateAccount(id!, body)],
  ['GET', /^\/api\/accounts\/([^/]+)\/keys$/, async (b, [id]) => ({ data: await b.listKeys(id!) })],
  ['POST', /^\/api\/accounts\/([^/]+)\/keys$/, (b, [id], _q, body) => b.createKey(id!, body)],
  ['POST', /^\/api\/keys\/([^/]+)\/rotate$/, (b, [keyId]) => b.rotateKey(keyId!)],
  ['POST', /^\/api\/keys\/([^/]+)\/revoke$/, (b, [keyId]) => b.revokeKey(keyId!)],
  ['POST', /^\/api\/keys\/([^/]+)\/limits$/, (b, [keyId], _q, body) => b.setKeyLimits(keyId!, body)],
  [
    'GET',
    /^\/api\/accounts\/([^/]+)\/usage$/,
    async (b, [id], q) => {
      const by = (q.get('by') ?? 'day') as UsageGrouping;
      if (!GROUPS.includes(by)) throw RouterError.invalidRequest(`by must be one of ${GROUPS.join(', ')}.`, 'by');
      const to = q.get('to') ?? new Date().toISOString().slice(0, 10);
      return { data: await b.usage(id!, { from: q.get('from') ?? `${to.slice(0, 8)}01`, to, by }) };
    },
  ],
];

/** True for a path the JSON API owns. */
export const isApiPath = (path: string): boolean => path === '/api' || path.startsWith('/api/');

/**
 * Answers one JSON API request.
 *
 * @example
 * await handleApi(runtime.accounts, 'GET', '/api/accounts', new URLSearchParams(), undefined) // { status: 200, body: '{"data":[…]}' }
 */
export async function handleApi(
  backend: ConsoleBackend,
  method: string,
  path: string,
  query: URLSearchParams,
  body: unknown,
): Promise<ApiResponse> {
  try {
    let pathMatched = false;
    for (const [m, pattern, handler] of ENDPOINTS) {
      const match = pattern.exec(path);
      if (!match) continue;
      pathMatched = true;
      if (m !== method) continue;
      const params = match.slice(1).map((s) => decodeURIComponent(s));
      return { status: 200, body: JSON.stringify(await handler(backend, params, query, body)) };
    }
    if (pathMatched) throw RouterError.methodNotAllowed(`Method ${method} is not allowed on ${path}.`);
    throw RouterError.notFound(`Unknown console endpoint ${method} ${path}.`, null, 'unknown_route');
  } catch (err) {
    const e = httpErrorOf(err instanceof URIError ? RouterError.invalidRequest('The path has a malformed %-escape.') : err);
    return { status: e.status, body: e.body };
  }
}
