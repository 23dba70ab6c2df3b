import { describe, expect, it } from 'vitest';
import type { LoadProgress } from '../../workers/searchApi';
import { applyProgress } from './loadProgressState';

const event = (over: Partial<LoadProgress>): LoadProgress => ({
  stage: 'index',
  loadedBytes: 0,
  totalBytes: 100,
  fromCache: false,
  done: false,
  ...over,
});

describe('applyProgress', () => {
  it('keeps the latest event per stage', () => {
    let state = applyProgress({}, event({ loadedBytes: 10 }));
    state = applyProgress(state, event({ stage: 'model', loadedBytes: 5 }));
    state = applyProgress(state, event({ loadedBytes: 60 }));
    expect(state.index?.loadedBytes).toBe(60);
    expect(state.model?.loadedBytes).toBe(5);
    expect(state.catalog).toBeUndefined();
  });

  it('does not change the previous state object', () => {
    const before = {};
    applyProgress(before, event({}));
    expect(before).toEqual({});
  });
});
