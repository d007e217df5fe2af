/**
 * Bounds on client JSON that the router does not otherwise type (tool schemas, response formats,
 * tool inputs): nesting depth, node count and serialized size, measured without recursion, so a
 * deeply nested value is a 400 before anything recursive (JSON.stringify, a schema walker) sees it.
 */

/** Nesting depth of a whole request body: far above any real request. */
export const MAX_BODY_DEPTH = 64;
/** Nesting depth of one free-form field (a JSON Schema, a tool input). */
export const MAX_FIELD_DEPTH = 32;
/** Serialized size of one tool schema or response-format schema (characters, approximate). */
export const MAX_SCHEMA_CHARS = 64 * 1024;
/** Serialized size of one tool input (an earlier tool call's arguments sent back). */
export const MAX_TOOL_INPUT_CHARS = 1024 * 1024;
/** Values (objects, arrays and scalars) in one request body. */
export const MAX_BODY_NODES = 1_000_000;

export interface JsonMeasure {
  /** The deepest nesting seen, 0 for a scalar; stops counting at the limit. */
  depth: number;
  /** Approximate JSON text length. */
  chars: number;
  nodes: number;
  /** The walk stopped early because a limit was passed. */
  exceeded: 'depth' | 'chars' | 'nodes' | undefined;
}

/**
 * Measures a parsed JSON value iteratively (an explicit stack, no recursion), stopping as soon as
 * one of the limits is passed.
 *
 * @example
 * measureJson({ a: [1, { b: 2 }] }, { depth: 32 }).depth // 3
 */
export function measureJson(value: unknown, limits: { depth?: number; chars?: number; nodes?: number } = {}): JsonMeasure {
  const maxDepth = limits.depth ?? Number.POSITIVE_INFINITY;
  const maxChars = limits.chars ?? Number.POSITIVE_INFINITY;
  const maxNodes = limits.nodes ?? Number.POSITIVE_INFINITY;
  const out: JsonMeasure = { depth: 0, chars: 0, nodes: 0, exceeded: undefined };
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length) {
    const [v, depth] = stack.pop()!;
    out.nodes++;
    if (out.nodes > maxNodes) {
      out.exceeded = 'nodes';
      return out;
    }
    if (v !== null && typeof v === 'object') {
      const d = depth + 1;
      if (d > out.depth) out.depth = d;
      if (d > maxDepth) {
        out.exceeded = 'depth';
        return out;
      }
      if (Array.isArray(v)) {
        out.chars += 2 + Math.max(0, v.length - 1);
        for (const item of v) stack.push([item, d]);
      } else {
        const keys = Object.keys(v);
        out.chars += 2 + Math.max(0, keys.length - 1);
        for (const k of keys) {
          out.chars += k.length + 3;
          stack.push([(v as Record<string, unknown>)[k], d]);
        }
      }
    } else if (typeof v === 'string') out.chars += v.length + 2;
    else out.chars += String(v).length;
    if (out.chars > maxChars) {
      out.exceeded = 'chars';
      return out;
    }
  }
  return out;
}

/** Why a value is out of bounds, in words for a 400 message (never quoting it), or undefined. */
export function jsonBoundsProblem(value: unknown, limits: { depth: number; chars?: number; nodes?: number }): string | undefined {
  const m = measureJson(value, limits);
  if (m.exceeded === 'depth') return `is nested more than ${limits.depth} levels deep`;
  if (m.exceeded === 'chars') return `is larger than ${limits.chars} characters`;
  if (m.exceeded === 'nodes') return `has more than ${limits.nodes} values`;
  return undefined;
}
