/** A thrown error as the edge answers it, flattened for assertions: status, code, param, message, type and headers. */
import { httpErrorOf } from '../../lambdas/handlers/http-errors';

export function asHttp(err: unknown): { status: number; code: string | null; param: string | null; message: string; type: string; headers: Record<string, string> } {
  const e = httpErrorOf(err);
  return { status: e.status, code: e.body.error.code, param: e.body.error.param, message: e.body.error.message, type: e.body.error.type, headers: e.headers };
}
