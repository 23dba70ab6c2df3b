import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { originalName, ownedMedia, thumbnailName } from './dataDirNames';

describe('media names', () => {
  const hash = createHash('sha256').update('an image').digest('hex');

  it("names a thumbnail by the image and the drawing, an original by the image alone, both the builder's", () => {
    const thumb = thumbnailName(hash);
    expect(thumb).toMatch(/^thumbs\/[0-9a-f]{16}\.webp$/);
    expect(thumbnailName(hash)).toBe(thumb);
    expect(thumbnailName(createHash('sha256').update('another').digest('hex'))).not.toBe(thumb);
    // Not the first drawing's name (the content hash's first digits), which old data dirs and caches
    // hold with that drawing's bytes (CMYK JPEGs in other colours).
    expect(thumb).not.toBe(`thumbs/${hash.slice(0, 16)}.webp`);
    expect(originalName(hash, 'png')).toBe(`originals/${hash.slice(0, 16)}.png`);
    expect(ownedMedia(thumb)).toBe(true);
    expect(ownedMedia(originalName(hash, 'png'))).toBe(true);
  });
});
