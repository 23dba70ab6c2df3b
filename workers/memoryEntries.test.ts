import { describe, expect, it } from 'vitest';
import { MemoryEntries } from './memoryEntries';

describe('MemoryEntries', () => {
  it('drops the least recently used entries once the total passes the bound', () => {
    const memory = new MemoryEntries<string>(100);
    memory.set('a', 'A', 40);
    memory.set('b', 'B', 40);
    expect(memory.get('a')).toBe('A'); // a is now the most recently used
    memory.set('c', 'C', 40);
    expect([...memory.keys()]).toEqual(['a', 'c']);
    expect(memory.bytes).toBe(80);
    expect(memory.get('b')).toBeUndefined();
  });

  it('never drops pinned entries, and counts them', () => {
    const memory = new MemoryEntries<string>(100);
    memory.set('manifest', 'M', 30, true);
    memory.set('a', 'A', 50);
    memory.set('b', 'B', 50);
    expect([...memory.keys()]).toEqual(['manifest', 'b']);
    expect(memory.bytes).toBe(80);
  });

  it('does not hold an entry larger than the bound, and leaves the others', () => {
    const memory = new MemoryEntries<string>(100);
    memory.set('a', 'A', 60);
    expect(memory.set('huge', 'H', 101)).toBe(false);
    expect([...memory.keys()]).toEqual(['a']);
    expect(memory.bytes).toBe(60);
  });

  it('replaces an entry under the same key without counting it twice', () => {
    const memory = new MemoryEntries<string>(100);
    memory.set('a', 'A', 60);
    memory.set('a', 'A2', 70);
    expect(memory.get('a')).toBe('A2');
    expect(memory.bytes).toBe(70);
    memory.delete('a');
    expect(memory.bytes).toBe(0);
    expect(memory.has('a')).toBe(false);
  });
});
