/**
 * The router config as it is inlined into a Lambda bundle (`packValidatedConfig`, esbuild `define`)
 * and read back by `loadConfig` (config.ts) at a cold start.
 */
// Generic over the config's type, so that this module does not import config.ts (which imports it).
interface HasModels<M> {
  models: readonly M[];
}

/** Marks a config the CDK app validated at synth (`loadConfig` does not validate it again). */
export const VALIDATED = 'validated:';

/**
 * A config that `parseConfig` returned, as it is inlined into a Lambda bundle, marked as validated,
 * so that `loadConfig` trusts it instead of validating ~200 KB again on every cold start (about
 * 45 ms of the chat function's init, measured by bench/cold-start.ts).
 *
 * Lines of JSON: the config without its models, the model ids, then one line per model (JSON never
 * holds a raw line break). `loadConfig` parses a model when it is first read — a request reads the
 * models it names, not the whole catalog (~300 models, most of the ~210 KB). Not compressed: the
 * bundler receives the `define` through esbuild's JS API (on its standard input, not a command
 * line, so no 128 KiB argument limit applies), and a cold start would spend longer gunzipping.
 *
 * @example
 * define: { 'process.env.CTR_INLINED_CONFIG': JSON.stringify(packValidatedConfig(parseConfig(raw))) }
 */
export function packValidatedConfig<C extends HasModels<{ id: string }>>(config: C): string {
  const { models, ...rest } = config;
  return [VALIDATED + JSON.stringify(rest), JSON.stringify(models.map((m) => m.id)), ...models.map((m) => JSON.stringify(m))].join('\n');
}

/** The models of a config `loadConfig` unpacked: their ids, and each model parsed when first read. */
export interface InlinedModels<M> {
  readonly ids: readonly string[];
  model(index: number): M;
}

const inlinedModelsOf = new WeakMap<object, InlinedModels<unknown>>();

/** The models of `config`, each parsed on first use, if `config` came packed (`packValidatedConfig`); `Catalog` reads them so. */
export function inlinedModels<M>(config: HasModels<M>): InlinedModels<M> | undefined {
  return inlinedModelsOf.get(config) as InlinedModels<M> | undefined;
}

/** The inverse of `packValidatedConfig` (without its mark): the config, its models parsed when first read. */
export function unpackValidatedConfig<C extends HasModels<M>, M>(packed: string): C {
  const [head = '{}', idsLine = '[]', ...lines] = packed.split('\n');
  const ids = JSON.parse(idsLine) as string[];
  if (lines.length !== ids.length) throw new Error(`inlined router config: ${ids.length} model ids, ${lines.length} models`);
  const parsed: Array<M | undefined> = [];
  const model = (i: number): M => {
    parsed[i] ??= JSON.parse(lines[i]!) as M;
    return parsed[i];
  };
  const config = JSON.parse(head) as C;
  let models: M[] | undefined;
  // `config.models` is still the whole list, parsed when first read.
  Object.defineProperty(config, 'models', {
    enumerable: true,
    get: () => {
      models ??= ids.map((_, i) => model(i));
      return models;
    },
  });
  inlinedModelsOf.set(config, { ids, model });
  return config;
}
