import { describe, expect, it } from 'vitest';
import { nextGridIndex } from './gridKeyboard';

// 10 cells, 4 per row:  0 1 2 3 / 4 5 6 7 / 8 9
const move = (key: string, index: number) => nextGridIndex(key, index, 10, 4, 2);

describe('nextGridIndex', () => {
  it('moves left and right through rows and stops at the ends', () => {
    expect(move('ArrowRight', 3)).toBe(4);
    expect(move('ArrowLeft', 4)).toBe(3);
    expect(move('ArrowLeft', 0)).toBe(0);
    expect(move('ArrowRight', 9)).toBe(9);
  });

  it('moves up and down by a row', () => {
    expect(move('ArrowDown', 1)).toBe(5);
    expect(move('ArrowUp', 5)).toBe(1);
    expect(move('ArrowUp', 2)).toBe(2);
  });

  it('stays put when the row below has no cell in that column', () => {
    expect(move('ArrowDown', 6)).toBe(6);
    expect(move('ArrowDown', 5)).toBe(9);
  });

  it('pages by whole screens and jumps to the ends', () => {
    expect(move('PageDown', 1)).toBe(9);
    expect(move('PageUp', 9)).toBe(1);
    expect(move('Home', 7)).toBe(0);
    expect(move('End', 2)).toBe(9);
  });

  it('ignores other keys and empty grids', () => {
    expect(move('Enter', 3)).toBeNull();
    expect(move('Tab', 3)).toBeNull();
    expect(nextGridIndex('ArrowRight', 0, 0, 4, 2)).toBeNull();
  });
});
