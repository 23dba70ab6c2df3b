import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { SIGNATURE_BYTES, looksLikeImage, signedFormat } from './imageSignature';

const pixel = () => sharp({ create: { width: 2, height: 2, channels: 3, background: '#f80' } });
const head = (bytes: Uint8Array) => bytes.subarray(0, SIGNATURE_BYTES);
const text = (s: string) => new TextEncoder().encode(s);
/** An ISO base media file's first box: size, 'ftyp', major brand. */
const ftyp = (brand: string) => text(`\0\0\0\x18ftyp${brand}\0\0\0\0mif1`);

describe('looksLikeImage', () => {
  it.each(['jpeg', 'png', 'gif', 'webp', 'tiff', 'avif'] as const)(
    'knows %s by its first bytes',
    async (format) => {
      expect(looksLikeImage(head(await pixel().toFormat(format).toBuffer()))).toBe(true);
    },
  );

  it("names the format in sharp's words (AVIF and HEIC are both heif)", async () => {
    for (const [format, name] of [
      ['jpeg', 'jpeg'],
      ['png', 'png'],
      ['gif', 'gif'],
      ['webp', 'webp'],
      ['tiff', 'tiff'],
      ['avif', 'heif'],
    ] as const)
      expect(signedFormat(head(await pixel().toFormat(format).toBuffer()))).toBe(name);
    expect(signedFormat(ftyp('heic'))).toBe('heif');
    expect(signedFormat(text('<svg/>'))).toBe('svg');
    expect(signedFormat(ftyp('qt  '))).toBeUndefined();
  });

  it('knows HEIC and SVG (with or without a byte-order mark)', () => {
    expect(looksLikeImage(ftyp('heic'))).toBe(true);
    expect(looksLikeImage(text('<?xml version="1.0"?><svg/>'))).toBe(true);
    expect(looksLikeImage(text('\ufeff\n  <svg xmlns="http://www.w3.org/2000/svg"/>'))).toBe(true);
  });

  it('does not take videos, archives or text for images', () => {
    for (const brand of ['qt  ', 'isom', 'mp42', 'M4V ']) expect(looksLikeImage(ftyp(brand))).toBe(false);
    expect(looksLikeImage(Uint8Array.from([0x1a, 0x45, 0xdf, 0xa3, 0x93, 0x42, 0x82, 0x88]))).toBe(false); // Matroska
    expect(looksLikeImage(text('PK\x03\x04'))).toBe(false);
    expect(looksLikeImage(text('RIFF\0\0\0\0AVI LIST'))).toBe(false);
    expect(looksLikeImage(text('hello'))).toBe(false);
    expect(looksLikeImage(new Uint8Array(0))).toBe(false);
  });
});
