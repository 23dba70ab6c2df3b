import sharp, { type Sharp } from 'sharp';
import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { contentHash } from './contentAddress';
import { withoutMetadata } from './originalMetadata';
import { shapePng } from '../testing/builderFixtures';
import { recordedSourceHash } from '../storage/storedOriginal';

/** What a phone or an editor writes into a photo, and what must not reach the public site. */
const EXIF = {
  IFD0: { Artist: 'Jane Doe', ImageDescription: 'home address', Copyright: 'Jane Doe 2024' },
  IFD3: {
    GPSLatitudeRef: 'N',
    GPSLatitude: '51/1 30/1 2/1',
    GPSLongitudeRef: 'W',
    GPSLongitude: '0/1 7/1 39/1',
  },
};
const XMP =
  '<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/">' +
  '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description ' +
  'xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:creator>Jane Doe in XMP</dc:creator></rdf:Description>' +
  '</rdf:RDF></x:xmpmeta><?xpacket end="w"?>';
const PRIVATE = ['Jane Doe', 'home address'];

/** The TIFF structure stripped originals carry: IFD0 with Orientation 6 and nothing else. */
const ONLY_ORIENTATION_6 = '4d4d002a00000008000101120003000000010006000000000000';

/** A picture (shapes: a wrong decode shows in its pixels) with EXIF, GPS, XMP and a P3 profile. */
async function photo(orientation = 6): Promise<Sharp> {
  return sharp(await shapePng(7, 48))
    .withMetadata({ orientation, icc: 'p3', exif: EXIF })
    .withXmp(XMP);
}

function stripped(bytes: Uint8Array, ext: string): Buffer {
  const out = withoutMetadata(bytes, ext, contentHash(bytes));
  expect(out, 'followed').toBeDefined();
  return Buffer.from(out!);
}

async function expectSamePixels(a: Uint8Array, b: Uint8Array): Promise<void> {
  const [x, y] = await Promise.all([a, b].map((i) => sharp(i, { animated: true }).raw().toBuffer()));
  expect(x.equals(y), 'identical pixels').toBe(true);
}

/**
 * What a stripped original must be: its source's pixels, profile and orientation, none of the rest
 * (an AVIF's XMP item is still there, all zeros).
 */
async function expectStripped(
  source: Uint8Array,
  out: Buffer,
  orientation: number | undefined,
): Promise<void> {
  for (const s of PRIVATE) {
    expect(Buffer.from(source).includes(s), `the source holds ${s}`).toBe(true);
    expect(out.includes(s), `the original holds ${s}`).toBe(false);
  }
  const [before, after] = await Promise.all([sharp(source).metadata(), sharp(out).metadata()]);
  expect(after.icc).toEqual(before.icc);
  expect(after.orientation).toBe(orientation);
  expect(after.xmp?.some((byte) => byte !== 0)).toBeFalsy();
  await expectSamePixels(source, out);
  expect(recordedSourceHash(out)).toBe(contentHash(source));
}

/** The TIFF structure of sharp's EXIF, less JPEG's "Exif\0\0". */
const tiffHex = (exif: Buffer | undefined) =>
  exif && (exif.subarray(0, 6).toString('latin1') === 'Exif\0\0' ? exif.subarray(6) : exif).toString('hex');

const jpegSegment = (marker: number, body: string | Buffer) => {
  const data = typeof body === 'string' ? Buffer.from(body, 'latin1') : body;
  return Buffer.concat([Buffer.from([0xff, marker, (data.length + 2) >> 8, (data.length + 2) & 255]), data]);
};
/** `segments` right after SOI. */
const afterSoi = (jpeg: Buffer, ...segments: Buffer[]) =>
  Buffer.concat([jpeg.subarray(0, 2), ...segments, jpeg.subarray(2)]);

const pngChunk = (type: string, data: string) => {
  const chunk = Buffer.alloc(12 + data.length);
  chunk.writeUInt32BE(data.length);
  chunk.write(type + data, 4, 'latin1');
  chunk.writeUInt32BE(crc32(chunk.subarray(4, 8 + data.length)), 8 + data.length);
  return chunk;
};
/** `chunks` right after IHDR. */
const afterIhdr = (png: Buffer, ...chunks: Buffer[]) =>
  Buffer.concat([png.subarray(0, 33), ...chunks, png.subarray(33)]);
function pngChunks(png: Buffer): string[] {
  const types: string[] = [];
  for (let at = 8; at < png.length; at += 12 + png.readUInt32BE(at))
    types.push(png.toString('latin1', at + 4, at + 8));
  return types;
}

function riffChunks(webp: Buffer): string[] {
  const types: string[] = [];
  for (let at = 12; at < webp.length;) {
    const size = webp.readUInt32LE(at + 4);
    types.push(webp.toString('latin1', at, at + 4));
    at += 8 + size + (size & 1);
  }
  return types;
}

describe('withoutMetadata', () => {
  it('takes EXIF (author, caption, GPS), XMP, comments and what follows EOI out of a JPEG; keeps its pixels, ICC profile and orientation', async () => {
    const jpeg = afterSoi(await (await photo()).jpeg().toBuffer(), jpegSegment(0xfe, 'shot by Jane Doe'));
    // A motion photo's video, appended after EOI.
    const source = Buffer.concat([jpeg, Buffer.from('ftypmp42 home address')]);
    const out = stripped(source, 'jpg');
    await expectStripped(source, out, 6);
    expect(tiffHex((await sharp(out).metadata()).exif)).toBe(ONLY_ORIENTATION_6);
    expect(out.subarray(-2).toString('hex')).toBe('ffd9');
  });

  it('keeps JFIF and Adobe (the colour transform) segments; an upright JPEG gets no EXIF back', async () => {
    const cmyk = await sharp(await shapePng(8, 48))
      .withExif(EXIF)
      .toColourspace('cmyk')
      .jpeg()
      .toBuffer();
    const jfif = jpegSegment(0xe0, Buffer.from('JFIF\0\x01\x01\0\0\x01\0\x01\0\0', 'latin1'));
    const source = afterSoi(cmyk, jfif, jpegSegment(0xed, 'Photoshop 3.0\0 8BIM home address Jane Doe'));
    const out = stripped(source, 'jpg');
    expect(out.subarray(2, 2 + jfif.length).equals(jfif)).toBe(true);
    expect(out.includes('Adobe')).toBe(true);
    const md = await sharp(out).metadata();
    expect([md.space, md.exif]).toEqual(['cmyk', undefined]);
    await expectStripped(source, out, undefined);
  });

  it('takes tEXt, zTXt, iTXt, tIME and EXIF out of a PNG; keeps its profile, density and orientation', async () => {
    const png = await (await photo()).png().toBuffer();
    const source = afterIhdr(
      png,
      pngChunk('tEXt', 'Author\0Jane Doe'),
      pngChunk('iTXt', 'Description\0\0\0en\0\0home address'),
      pngChunk('tIME', '\x07\xe8\x05\x11\x0c\x00\x00'),
    );
    expect(pngChunks(source)).toEqual([
      'IHDR',
      'tEXt',
      'iTXt',
      'tIME',
      'iCCP',
      'eXIf',
      'pHYs',
      'zTXt',
      'IDAT',
      'IEND',
    ]);
    const out = stripped(source, 'png');
    // The one text chunk left is the one naming the source.
    expect(pngChunks(out)).toEqual(['IHDR', 'tEXt', 'iCCP', 'eXIf', 'pHYs', 'IDAT', 'IEND']);
    await expectStripped(source, out, 6);
    expect(tiffHex((await sharp(out).metadata()).exif)).toBe(ONLY_ORIENTATION_6);
  });

  it('takes the EXIF and XMP chunks out of a WebP and clears their flags; keeps its profile and orientation', async () => {
    const source = await (await photo()).webp().toBuffer();
    expect(riffChunks(source)).toEqual(['VP8X', 'ICCP', 'VP8 ', 'EXIF', 'XMP ']);
    const out = stripped(source, 'webp');
    expect(riffChunks(out)).toEqual(['VP8X', 'ICCP', 'VP8 ', 'EXIF', 'LKSH']);
    // VP8X flags: ICC profile and EXIF, no XMP.
    expect(out[20] & 0x2c).toBe(0x28);
    expect(out.readUInt32LE(4)).toBe(out.length - 8);
    await expectStripped(source, out, 6);
    expect(tiffHex((await sharp(out).metadata()).exif)).toBe(ONLY_ORIENTATION_6);

    const upright = stripped(await (await photo(1)).webp().toBuffer(), 'webp');
    expect(riffChunks(upright)).toEqual(['VP8X', 'ICCP', 'VP8 ', 'LKSH']);
    expect(upright[20] & 0x0c).toBe(0);
  });

  it('takes comments and XMP out of an animated GIF; keeps its frames and looping', async () => {
    const frames = [await shapePng(1, 32), await shapePng(2, 32)];
    const gif = await sharp(frames, { join: { animated: true } })
      .gif({ loop: 3, delay: [100, 200] })
      .toBuffer();
    const blocks = 13 + 3 * 2 ** ((gif[10] & 7) + 1);
    const comment = Buffer.from('\x21\xfe\x10shot by Jane Doe\x00', 'latin1');
    // XMP as Adobe writes it: the packet as raw bytes, then a 258-byte "magic trailer" of sub-block sizes.
    const trailer = Buffer.from([1, ...Array.from({ length: 256 }, (_, i) => 255 - i), 0]);
    const xmp = Buffer.concat([Buffer.from('\x21\xff\x0bXMP DataXMP', 'latin1'), Buffer.from(XMP), trailer]);
    const source = Buffer.concat([gif.subarray(0, blocks), comment, xmp, gif.subarray(blocks)]);
    const md = await sharp(source).metadata();
    expect([md.pages, md.loop, md.delay]).toEqual([2, 3, [100, 200]]);
    const out = stripped(source, 'gif');
    expect(out.includes('Jane Doe') || out.includes('XMP')).toBe(false);
    const after = await sharp(out).metadata();
    expect([after.pages, after.loop, after.delay]).toEqual([2, 3, [100, 200]]);
    await expectSamePixels(source, out);
    expect(recordedSourceHash(out)).toBe(contentHash(source));
  });

  it('blanks the EXIF and XMP items of an AVIF where they lie; keeps its pixels and profile', async () => {
    const source = await (await photo()).avif().toBuffer();
    const out = stripped(source, 'avif');
    await expectStripped(source, out, undefined);
    // Blanked in place (every offset stays true), the record appended in a box readers skip.
    expect(out.length).toBe(source.length + 8 + 88);
    expect(out.toString('latin1', source.length + 4, source.length + 8)).toBe('free');
  });

  it('gives back the very bytes of a file with nothing to take out', async () => {
    const png = await shapePng(9, 32);
    for (const [bytes, ext] of [
      [png, 'png'],
      [await sharp(png).jpeg().toBuffer(), 'jpg'],
      [await sharp(png).webp().toBuffer(), 'webp'],
      [await sharp(png).webp({ lossless: true }).toBuffer(), 'webp'],
      [await sharp(png).gif().toBuffer(), 'gif'],
      [await sharp(png).avif().toBuffer(), 'avif'],
    ] as const) {
      expect(withoutMetadata(bytes, ext, contentHash(bytes)), ext).toBe(bytes);
    }
  });

  it('does not follow (so the caller renders it instead) what it cannot read to the end', async () => {
    const png = await shapePng(10, 32);
    const jpeg = await sharp(png).jpeg().toBuffer();
    const webp = await sharp(png).webp().toBuffer();
    const gif = await sharp(png).gif().toBuffer();
    const avif = await sharp(png).avif().toBuffer();
    const riff = (b: Buffer) => (b.writeUInt32LE(b.length - 8, 4), b);
    const cases: [string, Buffer, string][] = [
      [
        'an EXIF whose IFD0 runs past its segment',
        afterSoi(jpeg, jpegSegment(0xe1, 'Exif\0\0MM\0\x2a\0\0\0\x08\0\x09')),
        'jpg',
      ],
      ['a JPEG marker it does not know', afterSoi(jpeg, jpegSegment(0xf7, 'JPEG-LS')), 'jpg'],
      ['a JPEG cut short in its scan', jpeg.subarray(0, jpeg.length - 40), 'jpg'],
      ['a PNG critical chunk it does not know', afterIhdr(png, pngChunk('XYZW', 'Jane Doe')), 'png'],
      ['a PNG chunk longer than the file', png.subarray(0, png.length - 20), 'png'],
      [
        'a simple WebP with a second chunk',
        riff(Buffer.concat([webp, Buffer.from('XMP \x08\0\0\0Jane Doe')])),
        'webp',
      ],
      ['a GIF without its trailer', gif.subarray(0, gif.length - 1), 'gif'],
      [
        'an AVIF with a box it does not know',
        Buffer.concat([avif, Buffer.from('\0\0\0\x10uuidJane Doe')]),
        'avif',
      ],
    ];
    for (const [what, bytes, ext] of cases)
      expect(withoutMetadata(bytes, ext, contentHash(bytes)), what).toBeUndefined();
  });
});

describe('recordedSourceHash', () => {
  it('finds no record in a file that was not stripped, nor a forged one out of its place', async () => {
    const png = await shapePng(11, 32);
    expect(recordedSourceHash(png)).toBeUndefined();
    expect(recordedSourceHash(await sharp(png).jpeg().toBuffer())).toBeUndefined();
    // A source's own comment under our keyword, after the tables: not where a stripped JPEG has it.
    const jpeg = await sharp(png).jpeg().toBuffer();
    const forged = jpegSegment(0xfe, `lookalike-source-sha256\0${'ab'.repeat(32)}`);
    const dqt = jpeg.indexOf(Buffer.from([0xff, 0xdb]));
    const afterDqt = dqt + 2 + jpeg.readUInt16BE(dqt + 2);
    const late = Buffer.concat([jpeg.subarray(0, afterDqt), forged, jpeg.subarray(afterDqt)]);
    expect(recordedSourceHash(late)).toBeUndefined();
    expect(recordedSourceHash(afterSoi(jpeg, forged))).toBe('ab'.repeat(32));
    expect(recordedSourceHash(Buffer.from('not an image'))).toBeUndefined();
  });
});
