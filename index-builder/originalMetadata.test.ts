import sharp, { type Sharp } from 'sharp';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32, deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { contentHash } from './contentAddress';
import { withoutMetadata } from './originalMetadata';
import { shapePng } from '../testing/builderFixtures';
import { recordedSourceHash } from '../storage/storedOriginal';
import { keptIccProfile } from '../storage/metadataStrippers/iccProfile';

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

const pngChunk = (type: string, data: string | Buffer) => {
  const chunk = Buffer.alloc(12 + data.length);
  chunk.writeUInt32BE(data.length);
  chunk.write(type, 4, 'latin1');
  if (typeof data === 'string') chunk.write(data, 8, 'latin1');
  else data.copy(chunk, 8);
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

/** `data` as GIF data sub-blocks and their terminator. */
function subBlocks(data: Buffer): Buffer {
  const parts: Buffer[] = [];
  for (let at = 0; at < data.length; at += 255) {
    const part = data.subarray(at, at + 255);
    parts.push(Buffer.from([part.length]), part);
  }
  return Buffer.concat([...parts, Buffer.from([0])]);
}
/** Where a GIF's blocks start, after its global colour table. */
const gifBlocks = (gif: Buffer) => 13 + (gif[10] & 0x80 ? 3 * 2 ** ((gif[10] & 7) + 1) : 0);
const GIF_ICC = Buffer.from('\x21\xff\x0bICCRGBG1012', 'latin1');
/** The ICC profile a GIF's application extension holds. */
function gifProfile(gif: Buffer): Buffer {
  const parts: Buffer[] = [];
  for (let at = gif.indexOf(GIF_ICC) + GIF_ICC.length; gif[at] !== 0; at += 1 + gif[at])
    parts.push(gif.subarray(at + 1, at + 1 + gif[at]));
  return Buffer.concat(parts);
}

/** An ICC profile's tags: signature, where its data starts, how long it is. */
const iccTags = (p: Uint8Array): [string, number, number][] =>
  Array.from({ length: Buffer.from(p).readUInt32BE(128) }, (_, i) => {
    const entry = Buffer.from(p).subarray(132 + 12 * i);
    return [entry.toString('latin1', 0, 4), entry.readUInt32BE(4), entry.readUInt32BE(8)];
  });
/** The profile ID (MD5) an ICC profile with these bytes has. */
function iccId(p: Uint8Array): string {
  const copy = Buffer.from(p);
  for (const [start, end] of [
    [44, 48],
    [64, 68],
    [84, 100],
  ])
    copy.fill(0, start, end);
  return createHash('md5').update(copy).digest('hex');
}
const utf16be = (text: string) => Buffer.from(text, 'utf16le').swap16();
const pad4 = (b: Buffer) => Buffer.concat([b, Buffer.alloc(-b.length & 3)]);
/** What a display calibrated at home puts in the profile made for it, and no colour depends on. */
const DEVICE = ['SN-4711', 'Jane Doe', 'home address'];
const holds = (b: Uint8Array, text: string) =>
  Buffer.from(b).includes(text, 0, 'latin1') || Buffer.from(b).includes(utf16be(text));

/**
 * `icc` (a working profile) as calibration software would leave it: a `meta` dictionary holding the
 * display's serial, Apple's `mmod` (make, model, serial), text where no tag points; its profile ID true.
 */
function withDeviceTags(icc: Buffer): Buffer {
  const tags = iccTags(icc);
  const [name, value] = [utf16be('EDID_serial'), utf16be('SN-4711 of Jane Doe')];
  // dict: type, reserved, 1 record of 16 bytes (name and value: offset, length), then the strings.
  const dict = Buffer.alloc(32);
  dict.write('dict', 'latin1');
  [1, 16, 32, name.length, 32 + name.length, value.length].forEach((n, i) =>
    dict.writeUInt32BE(n, 8 + 4 * i),
  );
  const meta = pad4(Buffer.concat([dict, name, value]));
  const mmod = pad4(Buffer.from('mmod\0\0\0\0\x06\x10\xa0\x50Jane Doe display', 'latin1'));
  const gap = Buffer.from('home address', 'latin1');
  // Two more entries in the tag table move every tag's data by 24 bytes.
  const [dataStart, size] = [132 + 12 * tags.length, icc.readUInt32BE(0)];
  const metaAt = size + 24 + gap.length;
  const entries = [
    ...tags.map(([sig, at, length]) => [sig, at + 24, length] as const),
    ['meta', metaAt, meta.length] as const,
    ['mmod', metaAt + meta.length, mmod.length] as const,
  ];
  const table = Buffer.alloc(4 + 12 * entries.length);
  table.writeUInt32BE(entries.length);
  entries.forEach(([sig, at, length], i) => {
    table.write(sig, 4 + 12 * i, 'latin1');
    table.writeUInt32BE(at, 8 + 12 * i);
    table.writeUInt32BE(length, 12 + 12 * i);
  });
  const p = Buffer.concat([icc.subarray(0, 128), table, icc.subarray(dataStart, size), gap, meta, mmod]);
  p.writeUInt32BE(p.length, 0);
  Buffer.from(iccId(p), 'hex').copy(p, 84);
  return p;
}

/** `kept` is `source` (made by withDeviceTags) as it must be kept: every colour tag, no device data. */
function expectKeptProfile(source: Uint8Array, kept: Uint8Array | undefined): void {
  expect(kept?.length).toBe(source.length);
  for (const text of DEVICE) {
    expect(holds(source, text), `the source's profile holds ${text}`).toBe(true);
    expect(holds(kept!, text), `the kept profile holds ${text}`).toBe(false);
  }
  const tags = iccTags(source);
  expect(iccTags(kept!)).toEqual(tags);
  expect(Buffer.compare(kept!.subarray(0, 84), source.subarray(0, 84))).toBe(0);
  for (const [sig, at, length] of tags) {
    const [before, after] = [source.subarray(at, at + length), kept!.subarray(at, at + length)];
    if (sig === 'meta' || sig === 'mmod') {
      // The type is still there, empty: a dictionary of 0 records.
      expect(Buffer.compare(after.subarray(0, 8), before.subarray(0, 8)), sig).toBe(0);
      expect(after.subarray(8).every((byte) => byte === 0)).toBe(true);
    } else expect(Buffer.compare(after, before), sig).toBe(0);
  }
  expect(Buffer.from(kept!.subarray(84, 100)).toString('hex')).toBe(iccId(kept!));
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

  it('takes the JFIF thumbnail out of a JPEG, and JFXX thumbnails; keeps its density and the image as coded', async () => {
    const plain = await sharp(await shapePng(12, 48))
      .jpeg()
      .toBuffer();
    // The image's own segments, after JFIF's APP0 if the encoder writes one.
    const coded = plain.subarray(plain[3] === 0xe0 ? 4 + plain.readUInt16BE(4) : 2);
    // A 16×16 RGB thumbnail (of the uncropped picture, say) after JFIF's fields, at 300 dpi.
    const thumbnail = Buffer.alloc(16 * 16 * 3, 0x80);
    thumbnail.write('Jane Doe, uncropped', 'latin1');
    const jfif = jpegSegment(
      0xe0,
      Buffer.concat([Buffer.from('JFIF\0\x01\x02\x01\x01\x2c\x01\x2c\x10\x10', 'latin1'), thumbnail]),
    );
    // An extension thumbnail: 8×8 RGB.
    const rgb = Buffer.alloc(8 * 8 * 3);
    rgb.write('home address', 'latin1');
    const jfxx = jpegSegment(0xe0, Buffer.concat([Buffer.from('JFXX\0\x13\x08\x08', 'latin1'), rgb]));
    const source = Buffer.concat([plain.subarray(0, 2), jfif, jfxx, coded]);
    const out = stripped(source, 'jpg');
    for (const s of [...PRIVATE, 'JFXX']) expect(out.includes(s), s).toBe(false);
    // JFIF's 14 bytes, the thumbnail 0×0; the record; the image's own segments, byte for byte.
    const bare = jpegSegment(0xe0, 'JFIF\0\x01\x02\x01\x01\x2c\x01\x2c\0\0');
    expect(out.subarray(2, 2 + bare.length).toString('hex')).toBe(bare.toString('hex'));
    expect(out[2 + bare.length + 1]).toBe(0xfe);
    expect(out.subarray(-coded.length).equals(coded)).toBe(true);
    expect((await sharp(out).metadata()).density).toBe(300);
    await expectSamePixels(source, out);
    expect(recordedSourceHash(out)).toBe(contentHash(source));
  });

  it('keeps a colour profile less its device tags and the bytes no tag points to (JPEG in parts, PNG, WebP, GIF, AVIF)', async () => {
    const png = await shapePng(13, 48);
    const p3 = (await sharp(await sharp(png).withIccProfile('p3').png().toBuffer()).metadata()).icc!;
    // A working space's profile has nothing to zero: kept as it is, wherever it is.
    expect(keptIccProfile(p3)).toBe(p3);
    const profile = withDeviceTags(p3);
    const dir = await mkdtemp(join(tmpdir(), 'lookalike-icc-'));
    try {
      const file = join(dir, 'display.icc');
      await writeFile(file, profile);
      const drawn = () => sharp(png).withIccProfile(file);
      const jpeg = await sharp(png).jpeg().toBuffer();
      const half = Math.ceil(profile.length / 2);
      const part = (n: number, data: Buffer) =>
        jpegSegment(
          0xe2,
          Buffer.concat([Buffer.from(`ICC_PROFILE\0${String.fromCharCode(n)}\x02`, 'latin1'), data]),
        );
      const gif = await sharp(png).gif().toBuffer();
      const sources: [string, Buffer][] = [
        // In two parts, the second first: decoders put them in order by their numbers.
        ['jpg', afterSoi(jpeg, part(2, profile.subarray(half)), part(1, profile.subarray(0, half)))],
        ['png', await drawn().png().toBuffer()],
        ['webp', await drawn().webp().toBuffer()],
        ['avif', await drawn().avif().toBuffer()],
        [
          'gif',
          Buffer.concat([
            gif.subarray(0, gifBlocks(gif)),
            GIF_ICC,
            subBlocks(profile),
            gif.subarray(gifBlocks(gif)),
          ]),
        ],
      ];
      for (const [ext, source] of sources) {
        const out = stripped(source, ext);
        if (ext === 'gif') {
          expect(gifProfile(source).equals(profile)).toBe(true);
          expectKeptProfile(profile, gifProfile(out));
        } else {
          expect((await sharp(source).metadata()).icc?.equals(profile), ext).toBe(true);
          expectKeptProfile(profile, (await sharp(out).metadata()).icc);
        }
        for (const text of DEVICE) expect(holds(out, text), `${ext} holds ${text}`).toBe(false);
        // The same colours: sharp draws both through their profiles.
        await expectSamePixels(source, out);
        expect(recordedSourceHash(out)).toBe(contentHash(source));
      }
      // Bytes after the iCCP's zlib stream, which no reader unpacks: the profile is packed anew without them.
      const iccp = pngChunk(
        'iCCP',
        Buffer.concat([Buffer.from('ICC profile\0\0'), deflateSync(p3), Buffer.from('Jane Doe')]),
      );
      const trailing = stripped(afterIhdr(png, iccp), 'png');
      expect(trailing.includes('Jane Doe')).toBe(false);
      expect((await sharp(trailing).metadata()).icc?.equals(p3)).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('drops what is labelled a colour profile but is none (nothing reads it); an AVIF holding one is rendered instead', async () => {
    const png = await shapePng(14, 48);
    const junk = Buffer.from('desc Owner: Jane Doe, 51.5N 0.1W', 'latin1');
    const jpeg = await sharp(png).jpeg().toBuffer();
    const webp = await sharp(png).withIccProfile('p3').webp().toBuffer();
    const webpJunk = Buffer.from(webp);
    // Its profile's "acsp" signature spoilt.
    webpJunk.write('Jane Doe', webp.indexOf('ICCP') + 8 + 36, 'latin1');
    const gif = await sharp(png).gif().toBuffer();
    const avif = Buffer.from(await sharp(png).withIccProfile('p3').avif().toBuffer());
    avif.write('Jane', avif.indexOf('acsp'), 'latin1');
    const cases: [string, Buffer, Buffer, string][] = [
      [
        'jpg',
        afterSoi(jpeg, jpegSegment(0xe2, Buffer.concat([Buffer.from('ICC_PROFILE\0\x01\x01'), junk]))),
        jpeg,
        'ICC_PROFILE',
      ],
      // Two parts that both say they are the first.
      [
        'jpg',
        afterSoi(
          jpeg,
          ...[junk, junk].map((j) =>
            jpegSegment(0xe2, Buffer.concat([Buffer.from('ICC_PROFILE\0\x01\x02'), j])),
          ),
        ),
        jpeg,
        'ICC_PROFILE',
      ],
      [
        'png',
        afterIhdr(png, pngChunk('iCCP', Buffer.concat([Buffer.from('ICC profile\0\0'), deflateSync(junk)]))),
        png,
        'iCCP',
      ],
      ['webp', webpJunk, webp, 'ICCP'],
      [
        'gif',
        Buffer.concat([
          gif.subarray(0, gifBlocks(gif)),
          GIF_ICC,
          subBlocks(junk),
          gif.subarray(gifBlocks(gif)),
        ]),
        gif,
        'ICCRGBG1012',
      ],
    ];
    for (const [ext, source, plain, label] of cases) {
      const out = stripped(source, ext);
      expect(out.includes('Jane Doe') || out.includes(label), `${ext} without ${label}`).toBe(false);
      // What the image without a profile shows: what decoders show of it with one they cannot read.
      if (ext !== 'webp') await expectSamePixels(plain, out);
      else {
        // VP8X's ICC flag cleared with its chunk.
        expect(riffChunks(out)).toEqual(['VP8X', 'VP8 ', 'LKSH']);
        expect(out[20] & 0x20).toBe(0);
        expect((await sharp(out).metadata()).icc).toBeUndefined();
      }
    }
    // Its profile can be blanked where it lies, not taken out: the file is not followed.
    expect(withoutMetadata(avif, 'avif', contentHash(avif))).toBeUndefined();
  });

  it('takes plain text out of a GIF, and the graphic control that was its own; keeps its frames, their timing and transparency', async () => {
    const frames = [await shapePng(15, 32), await shapePng(16, 32)];
    const gif = await sharp(frames, { join: { animated: true } })
      .gif({ loop: 0, delay: [100, 200] })
      .toBuffer();
    const control = (delay: number) => Buffer.from([0x21, 0xf9, 4, 4, delay & 255, delay >> 8, 0, 0]);
    // Text in a 32×16 grid of 8×16 cells, colours 1 on 0.
    const text = (t: string) =>
      Buffer.concat([
        Buffer.from([0x21, 0x01, 12, 0, 0, 0, 0, 32, 0, 16, 0, 8, 16, 1, 0]),
        subBlocks(Buffer.from(t)),
      ]);
    // Before the looping block and the first frame's own control; and last, with no image after it.
    const trailer = gif.length - 1;
    const source = Buffer.concat([
      gif.subarray(0, gifBlocks(gif)),
      control(70),
      text('Jane Doe'),
      gif.subarray(gifBlocks(gif), trailer),
      control(90),
      text('home address'),
      gif.subarray(trailer),
    ]);
    const out = stripped(source, 'gif');
    for (const s of PRIVATE) expect(out.includes(s), s).toBe(false);
    expect(out.includes(control(70)) || out.includes(control(90))).toBe(false);
    const [before, after] = await Promise.all([sharp(source).metadata(), sharp(out).metadata()]);
    expect([after.pages, after.loop, after.delay]).toEqual([before.pages, before.loop, before.delay]);
    expect(after.delay).toEqual([100, 200]);
    await expectSamePixels(source, out);
    expect(recordedSourceHash(out)).toBe(contentHash(source));

    // A still whose one graphic control (colour 0 transparent) comes before a plain text block: the
    // image gets it, as in every decoder that skips the text, and keeps it.
    const still = await sharp(frames[0]).gif().toBuffer();
    const at = gifBlocks(still);
    expect(still.toString('hex', at, at + 3)).toBe('21f904');
    const own = still.subarray(at, at + 8);
    const withText = Buffer.concat([still.subarray(0, at + 8), text('Jane Doe'), still.subarray(at + 8)]);
    const kept = stripped(withText, 'gif');
    expect(kept.includes('Jane Doe')).toBe(false);
    expect(kept.includes(own)).toBe(true);
    await expectSamePixels(still, kept);
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
