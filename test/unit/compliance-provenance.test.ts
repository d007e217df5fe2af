/**
 * The compliance report says which tree it is of: the commit, its date, the day it was generated,
 * and the SHA-256 of every synthesized template, in both the Markdown and the JSON.
 */
import { describe, expect, it } from 'vitest';
import { renderJson, renderMarkdown } from '../../scripts/compliance/render';
import type { ComplianceReport } from '../../scripts/compliance/types';

const report: ComplianceReport = {
  ok: true,
  configFile: 'config/router.config.json',
  primaryRegion: 'us-east-1',
  replicaRegions: [],
  stacks: [{ name: 'Ctr-Key-us-east-1', region: 'us-east-1', role: 'key', sha256: 'a'.repeat(64) }],
  commitments: [],
  nag: { ok: true, ran: true, conclusion: 'pass', unacknowledged: [], acknowledged: [], problems: [] },
  outOfScope: [],
  missing: [],
  provenance: { commit: 'c0ffee'.repeat(6).slice(0, 40), dirty: true, commitDate: '2026-11-28T10:00:00+00:00', date: '2026-11-28' },
};

describe('compliance report provenance', () => {
  it('names the commit, its date, the generation day and each template hash', () => {
    const md = renderMarkdown(report);
    expect(md).toContain(
      `Commit \`${report.provenance!.commit}\` **with uncommitted changes** (committed 2026-11-28T10:00:00+00:00); generated on 2026-11-28.`,
    );
    expect(md).toMatch(/\| `Ctr-Key-us-east-1` \| `us-east-1` \| data key \| `a{64}` \|/);
    const json = JSON.parse(renderJson(report));
    expect(json.provenance).toEqual(report.provenance);
    expect(json.stacks[0].sha256).toBe('a'.repeat(64));
  });
});
