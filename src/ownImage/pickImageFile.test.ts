import { describe, expect, it } from 'vitest';
import { dragHasFiles, pickImageFile } from './pickImageFile';

const file = (name: string, type: string) => ({ name, type });

describe('pickImageFile', () => {
  it('prefers the first image', () => {
    const files = [file('notes.txt', 'text/plain'), file('a.png', 'image/png'), file('b.jpg', 'image/jpeg')];
    expect(pickImageFile(files)?.name).toBe('a.png');
  });

  it('falls back to the first file so it can be reported as unreadable', () => {
    expect(pickImageFile([file('x.heic', ''), file('y.txt', 'text/plain')])?.name).toBe('x.heic');
  });

  it('is null when nothing was dropped', () => {
    expect(pickImageFile([])).toBeNull();
  });
});

describe('dragHasFiles', () => {
  it('is true only for file drags', () => {
    expect(dragHasFiles(['Files'])).toBe(true);
    expect(dragHasFiles(['text/plain', 'text/uri-list'])).toBe(false);
  });
});
