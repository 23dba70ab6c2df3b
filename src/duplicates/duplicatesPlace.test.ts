import { describe, expect, it } from 'vitest';
import { MAX_GROUPS_PER_PAGE } from '../../core/duplicatesReader';
import { GROUPS_PER_PAGE } from './duplicateList';
import { firstPageSize, rememberedPlace, rememberPlace } from './duplicatesPlace';

describe('duplicatesPlace', () => {
  it('asks first for as many groups as were loaded, at least a page and at most what one call may ask', () => {
    expect(firstPageSize('similar')).toBe(GROUPS_PER_PAGE);
    rememberPlace('similar', { loaded: 95, active: { group: 70, member: 2 } });
    expect(firstPageSize('similar')).toBe(95);
    expect(rememberedPlace('similar')).toEqual({ loaded: 95, active: { group: 70, member: 2 } });
    // Each strictness has its own place.
    expect(rememberedPlace('near-identical')).toBeUndefined();
    rememberPlace('similar', { loaded: 5_000, active: { group: 4_000, member: 0 } });
    expect(firstPageSize('similar')).toBe(MAX_GROUPS_PER_PAGE);
  });
});
