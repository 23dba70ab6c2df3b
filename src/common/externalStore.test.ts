import { describe, expect, it } from 'vitest';
import { externalStore } from './externalStore';

describe('externalStore', () => {
  it('tells each subscriber about every change until it unsubscribes', () => {
    const store = externalStore<{ state: string }>({ state: 'installing' });
    const seen: string[] = [];
    const unsubscribe = store.subscribe(() => seen.push(store.get().state));
    store.set({ state: 'ready' });
    unsubscribe();
    store.set({ state: 'failed' });
    expect(seen).toEqual(['ready']);
    expect(store.get()).toEqual({ state: 'failed' });
  });
});
