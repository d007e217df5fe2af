/** A thrown error as the edge answers it, flattened for assertions: status, code, param, message, type and headers. */
import { httpErrorOf } from '../../lambdas/handlers/http-errors';

export function asHttp(err: unknown): {
  status: number;
  code: string | null;
  param: string | null;
  message: string;
  type: string;
  headers: Record<string, string>;
} {
  const e = httpErrorOf(err);
  const { error } = JSON.parse(e.body) as { error: { code: string | null; param: string | null; message: string; type: string } };
  return { status: e.status, code: error.code, param: error.param, message: error.message, type: error.type, headers: e.headers };
}
