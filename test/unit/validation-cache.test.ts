import { specifiedRules, type ValidationRule } from 'graphql';
import { describe, expect, it } from 'vitest';
import { ruleSetKeys } from '../../src/http/validation-cache.js';

// The validation cache keys a verdict by its rules' names in order; a list of the very functions seen
// before (a new array each request) gets the key it had, without naming them again.

describe('ruleSetKeys', () => {
  it('keys a rule list by its names, the same for a new array of the same rules', () => {
    const key = ruleSetKeys();
    const names = specifiedRules.map((r) => r.name).join(',');
    expect(key(undefined)).toBe('');
    expect(key([...specifiedRules])).toBe(names);
    expect(key([...specifiedRules])).toBe(names);
    const mine: ValidationRule = () => ({});
    expect(key([...specifiedRules, mine])).toBe(`${names},mine`);
    expect(key(specifiedRules.slice(1))).toBe(
      specifiedRules
        .slice(1)
        .map((r) => r.name)
        .join(','),
    );
    expect(key([...specifiedRules])).toBe(names);
  });

  it('names a rule set again when a rule in it is another function', () => {
    const key = ruleSetKeys();
    const first: ValidationRule = () => ({});
    const a = { first }.first;
    expect(key([a])).toBe('first');
    const renamed: ValidationRule = () => ({});
    Object.defineProperty(renamed, 'name', { value: 'second' });
    expect(key([renamed])).toBe('second');
    for (let i = 0; i < 20; i++) {
      const r: ValidationRule = () => ({});
      Object.defineProperty(r, 'name', { value: `r${i}` });
      expect(key([r])).toBe(`r${i}`);
    }
    expect(key([a])).toBe('first');
  });
});
