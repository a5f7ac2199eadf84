/**
 * The shared policy vectors (read by the Go processor's tests too) are what
 * the TypeScript policy answers today: regenerating them must not change the
 * committed file. When this fails after a deliberate policy change, run
 * `npm run policy:vectors` and commit the JSON (the Go tests then prove the
 * processor follows).
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { VECTORS_PATH, policyVectors, vectorsText } from '../../../scripts/policy-vectors';

describe('shared policy vectors (SDK ↔ collector processor)', () => {
  it('the committed JSON equals a fresh generation from the TypeScript policy', () => {
    const committed = readFileSync(VECTORS_PATH, 'utf8');
    // compare parsed first (a readable diff), then byte for byte
    expect(JSON.parse(committed)).toEqual(JSON.parse(vectorsText()));
    expect(committed).toBe(vectorsText());
  });

  it('holds at least 10,000 ids, hostile ones included, at several sample rates', () => {
    const v = policyVectors();
    expect(v.ids.length).toBeGreaterThanOrEqual(10_000);
    for (const id of ['\u212Aacme', 'x'.repeat(257), 'team-a/__other__', '\u00a0acme', 'a/b/c', 'caf\u00e9']) expect(v.ids).toContain(id);
    expect(new Set(v.policies.map((p) => p.sampleRate)).size).toBeGreaterThanOrEqual(3);
    // the Kelvin sign (U+212A lower-cases to an ASCII k) never forges an id
    const mixed = v.policies.find((p) => p.name === 'mixed @ 0')!;
    expect(mixed.expected[v.ids.indexOf('\u212Aacme')]).toBe('__other__');
    expect(mixed.expected[v.ids.indexOf(' acme ')]).toBe('acme');
    expect(v.envLists.find((l) => l.text === '\ufeffacme')!.entries).toEqual(['acme']);
    expect(v.fileLists.find((l) => l.text === 'acme # trailing comment\nbeta')!.entries).toEqual(['acme', 'beta']);
  });
});
