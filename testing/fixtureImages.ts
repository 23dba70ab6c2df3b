import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import sharp from 'sharp';

/*
 * The e2e collection: the same emoji drawn by three vendors, one album per vendor. A face from one
 * album should find its siblings in the others, which gives the tests a ground truth that is not
 * hard-coded.
 */

const FIXTURE_VENDORS = ['apple', 'google', 'twitter'] as const;
export type FixtureVendor = (typeof FIXTURE_VENDORS)[number];
/** Emoji per album. */
const FIXTURE_EMOJI_PER_ALBUM = 10;

interface EmojiRecord {
  short_name: string;
  image: string;
  category: string;
  sort_order: number;
  has_img_apple: boolean;
  has_img_google: boolean;
  has_img_twitter: boolean;
}

export interface FixtureImage {
  album: string;
  vendor: FixtureVendor;
  /** The emoji's short name; also the file name without '.png'. */
  emoji: string;
  path: string;
}

const require = createRequire(import.meta.url);

export function vendorImageDir(vendor: FixtureVendor): string {
  const pkg = require.resolve(`emoji-datasource-${vendor}/package.json`);
  return join(dirname(pkg), 'img', vendor, '64');
}

export function albumName(vendor: FixtureVendor): string {
  return vendor[0].toUpperCase() + vendor.slice(1);
}

/** The first `perAlbum` emoji every vendor draws, in emoji order: smileys first, then other categories. */
function pickFixtureEmoji(perAlbum = FIXTURE_EMOJI_PER_ALBUM): EmojiRecord[] {
  const smileys = smileysEveryVendorDraws();
  const others = emojiEveryVendorDraws().filter((e) => e.category !== 'Smileys & Emotion');
  return [...smileys, ...others].slice(0, perAlbum);
}

/** Every smiley all fixture vendors draw, in emoji order. */
export function smileysEveryVendorDraws(): EmojiRecord[] {
  return emojiEveryVendorDraws().filter((e) => e.category === 'Smileys & Emotion');
}

/** Every emoji all fixture vendors draw (flags excluded: they are rectangles of stripes), in emoji order. */
function emojiEveryVendorDraws(): EmojiRecord[] {
  const all = JSON.parse(
    readFileSync(require.resolve('emoji-datasource-apple/emoji.json'), 'utf8'),
  ) as EmojiRecord[];
  return all
    .filter((e) => e.category !== 'Flags' && e.has_img_apple && e.has_img_google && e.has_img_twitter)
    .filter((e) => FIXTURE_VENDORS.every((v) => existsSync(join(vendorImageDir(v), e.image))))
    .sort((a, b) => a.sort_order - b.sort_order);
}

function sameContent(a: string, b: string): boolean {
  return existsSync(b) && readFileSync(a).equals(readFileSync(b));
}

/**
 * Makes <dir>/<Album>/<short_name>.png exactly the fixture set (`perAlbum` smileys per vendor) and lists it. Files already right are left
 * alone (concurrent test runs may be indexing them); stray files are removed.
 */
export function writeFixtureImages(dir: string, perAlbum = FIXTURE_EMOJI_PER_ALBUM): FixtureImage[] {
  const emoji = pickFixtureEmoji(perAlbum);
  if (emoji.length < perAlbum) {
    throw new Error(
      `only ${emoji.length} emoji are drawn by every vendor; the emoji-datasource packages look incomplete`,
    );
  }
  const images: FixtureImage[] = [];
  for (const vendor of FIXTURE_VENDORS) {
    const albumDir = join(dir, albumName(vendor));
    mkdirSync(albumDir, { recursive: true });
    const wanted = new Set<string>();
    for (const e of emoji) {
      const file = `${e.short_name}.png`;
      const path = join(albumDir, file);
      const source = join(vendorImageDir(vendor), e.image);
      wanted.add(file);
      if (!sameContent(source, path)) copyFileSync(source, path);
      images.push({ album: albumName(vendor), vendor, emoji: e.short_name, path });
    }
    for (const file of readdirSync(albumDir))
      if (!wanted.has(file)) rmSync(join(albumDir, file), { recursive: true });
  }
  return images;
}

/** The fixture images already written under `dir`. */
export function listFixtureImages(dir: string): FixtureImage[] {
  const images: FixtureImage[] = [];
  for (const vendor of FIXTURE_VENDORS) {
    const albumDir = join(dir, albumName(vendor));
    for (const file of readdirSync(albumDir).sort()) {
      if (file.endsWith('.png')) {
        images.push({
          album: albumName(vendor),
          vendor,
          emoji: file.slice(0, -4),
          path: join(albumDir, file),
        });
      }
    }
  }
  return images;
}

/** Album of the edited copies planted in the duplicates fixture (writeDuplicatesFixtureImages). */
export const PLANTED_COPIES_ALBUM = 'Copies';

/** An edited copy planted next to the fixture: `file` in PLANTED_COPIES_ALBUM copies `source`. */
interface PlantedCopy {
  file: string;
  source: { album: string; emoji: string };
  /** How the copy differs from its source, for messages. */
  edit: string;
  make: (png: Buffer) => Promise<Buffer>;
}

/*
 * Near-duplicates planted next to the fixture. The fixture is too small to calibrate (30 images), so
 * its groups come from the builder's default thresholds (near-identical 0.95, very similar 0.88,
 * similar 0.75). The copies: a lossless re-encode (same pixels, another file: 1.0) and a brightening
 * by 8 %, which scores 0.84 (joy) and 0.91 (sweat_smile) against its source, one on each side of
 * 0.88; unrelated smileys score up to 0.50, and a JPEG, a resize or a crop 0.65–0.91 (measured
 * December 2026, with the small-collection whitening regulariser; before it, light edits scored
 * 0.1–0.5 here and +4 % brightness 0.84–0.93).
 */
const reencode = (png: Buffer) => sharp(png).png({ compressionLevel: 9, adaptiveFiltering: true }).toBuffer();
const brighten = (factor: number) => (png: Buffer) =>
  sharp(png).modulate({ brightness: factor }).png().toBuffer();

export const PLANTED_COPIES: readonly PlantedCopy[] = [
  {
    file: 'upside_down_face_copy.png',
    source: { album: 'Apple', emoji: 'upside_down_face' },
    edit: 'lossless re-encode',
    make: reencode,
  },
  {
    file: 'joy_copy.png',
    source: { album: 'Google', emoji: 'joy' },
    edit: 'lossless re-encode',
    make: reencode,
  },
  {
    file: 'joy_brighter.png',
    source: { album: 'Google', emoji: 'joy' },
    edit: 'brightness +8 %',
    make: brighten(1.08),
  },
  {
    file: 'sweat_smile_brighter.png',
    source: { album: 'Apple', emoji: 'sweat_smile' },
    edit: 'brightness +8 %',
    make: brighten(1.08),
  },
];

/**
 * The fixture (writeFixtureImages) plus PLANTED_COPIES in their own album: a collection whose
 * duplicate groups are known. Files already right are left alone, so rebuilds find nothing changed.
 */
export async function writeDuplicatesFixtureImages(
  dir: string,
  perAlbum = FIXTURE_EMOJI_PER_ALBUM,
): Promise<FixtureImage[]> {
  const images = writeFixtureImages(dir, perAlbum);
  const albumDir = join(dir, PLANTED_COPIES_ALBUM);
  mkdirSync(albumDir, { recursive: true });
  const wanted = new Set<string>();
  for (const copy of PLANTED_COPIES) {
    const source = images.find((f) => f.album === copy.source.album && f.emoji === copy.source.emoji);
    if (source === undefined)
      throw new Error(`planted copy ${copy.file}: no fixture image ${copy.source.emoji}`);
    const bytes = await copy.make(readFileSync(source.path));
    const path = join(albumDir, copy.file);
    wanted.add(copy.file);
    if (!existsSync(path) || !readFileSync(path).equals(bytes)) writeFileSync(path, bytes);
  }
  for (const file of readdirSync(albumDir))
    if (!wanted.has(file)) rmSync(join(albumDir, file), { recursive: true });
  return images;
}
