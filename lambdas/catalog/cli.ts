/**
 * `ctr catalog build|diff` and `npm run catalog`: regenerate the shipped catalog from the locked
 * price data, or show what a regeneration would change before anyone deploys it.
 */
import { readFileSync } from 'node:fs';
import { parseConfig } from '../core/config';
import { buildCatalog, writeConfig } from './config-file';
import { diffCatalog, formatDiff } from './diff';
import type { GenerateReport } from './generate';

export const CATALOG_HELP = `Catalog (generated from @pydantic/genai-prices × enabled providers × data/model-identity.json)
  catalog build [--config file] [--as-of YYYY-MM-DD] [--check]   regenerate "models"; --check fails if the file differs
  catalog diff [--config file] [--as-of YYYY-MM-DD] [--json]     what a regeneration would change`;

/** A short account of what the generator could not price. */
export function formatReport(r: GenerateReport): string {
  const lines: string[] = [];
  if (r.unpricedProviders.length)
    lines.push(`Providers without price data (add overrides to offer models on them): ${r.unpricedProviders.join(', ')}`);
  if (r.missingPrices.length) {
    lines.push(`Offers left out, no usable price (${r.missingPrices.length}):`);
    for (const m of r.missingPrices) lines.push(`  ${m.model} @ ${m.provider}/${m.upstreamModel}: ${m.reason}`);
  }
  if (r.modelsWithoutOffers.length)
    lines.push(
      `Models left out, no priced offer on an enabled provider (${r.modelsWithoutOffers.length}): ${r.modelsWithoutOffers.join(', ')}`,
    );
  return lines.join('\n');
}

/** Counts of a catalog, as the README and the tests state them. */
export function catalogCounts(models: ReturnType<typeof parseConfig>['models']) {
  const chat = models.filter((m) => m.kind === 'chat' && !m.id.startsWith('mock/'));
  return {
    chatModels: chat.length,
    embeddingModels: models.filter((m) => m.kind === 'embedding' && !m.id.startsWith('mock/')).length,
    providers: new Set(models.flatMap((m) => m.offers.map((o) => o.provider)).filter((p) => p !== 'mock')).size,
    multiProviderChatModels: chat.filter((m) => new Set(m.offers.map((o) => o.provider)).size >= 2).length,
    offers: models.reduce((n, m) => n + m.offers.length, 0),
  };
}

/** Runs `catalog build` or `catalog diff`; returns the process exit code. */
export async function runCatalogCommand(
  sub: string | undefined,
  opts: { config: string; asOf?: string; check?: boolean; json?: boolean },
  out: (s: string) => void,
): Promise<number> {
  const committed = parseConfig(JSON.parse(readFileSync(opts.config, 'utf8')), opts.config).models;
  const built = await buildCatalog(opts.config, { asOf: opts.asOf });
  const diff = diffCatalog(committed, built.models);
  if (sub === 'diff') {
    out(
      opts.json
        ? JSON.stringify({ diff, report: built.report }, null, 2)
        : [formatDiff(diff), formatReport(built.report)].filter(Boolean).join('\n\n'),
    );
    return 0;
  }
  if (sub === 'build') {
    const counts = catalogCounts(parseConfig(built.raw).models);
    if (opts.check) {
      const same = JSON.stringify(committed) === JSON.stringify(parseConfig(built.raw).models);
      out(
        same
          ? 'The committed catalog equals a fresh generation.'
          : `The committed catalog differs from a fresh generation:\n${formatDiff(diff)}`,
      );
      return same ? 0 : 1;
    }
    writeConfig(opts.config, built.raw);
    out(
      [
        `Wrote ${opts.config}: ${counts.chatModels} chat models (${counts.multiProviderChatModels} on two or more providers), ${counts.embeddingModels} embedding models, ${counts.providers} providers, ${counts.offers} offers.`,
        formatReport(built.report),
      ]
        .filter(Boolean)
        .join('\n'),
    );
    return 0;
  }
  out(CATALOG_HELP);
  return sub === undefined || sub === 'help' ? 0 : 2;
}
