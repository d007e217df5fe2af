/**
 * A value built on first use and kept: schemas (zod builds every schema object eagerly, which
 * costs milliseconds per large schema) are built when something is first validated, not when a
 * module is imported, so a Lambda cold start pays only for what its first request needs.
 *
 * @example
 * export const requestSchema = lazy(() => z.object({ model: z.string() }));
 * requestSchema().parse(body);
 */
export function lazy<T>(build: () => T): () => T {
  let value: T | undefined;
  let built = false;
  return () => {
    if (!built) {
      value = build();
      built = true;
    }
    return value as T;
  };
}
