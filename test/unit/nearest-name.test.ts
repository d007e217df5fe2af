/** The nearest known name of a typo, for "did you mean" in config and CLI errors. */
import { describe, expect, it } from 'vitest';
import { didYouMean, editDistance, nearestName } from '../../lambdas/domain/nearest-name';

describe('nearestName', () => {
  it('edit distance counts insertions, deletions and substitutions', () => {
    expect(editDistance('grq', 'groq')).toBe(1);
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('same', 'same')).toBe(0);
  });

  it('suggests a near name, case-insensitively, and nothing for an unrelated one', () => {
    const providers = ['openai', 'groq', 'bedrock', 'deepinfra'];
    expect(nearestName('grq', providers)).toBe('groq');
    expect(nearestName('OpenAI', providers)).toBe('openai');
    expect(nearestName('bedrok', providers)).toBe('bedrock');
    expect(nearestName('nosuch', providers)).toBeUndefined();
    expect(didYouMean('deepinfr', providers)).toBe(' (did you mean "deepinfra"?)');
    expect(didYouMean('zzz', providers)).toBe('');
  });
});
