import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/*
 * The e2e collection: the same emoji drawn by three vendors, one album per vendor. A face from one
 * album should find its siblings in the others, which gives the tests a ground truth that is not
 * hard-coded.
 */

export const FIXTURE_VENDORS = ['apple', 'google', 'twitter'] as const;
export type FixtureVendor = (typeof FIXTURE_VENDORS)[number];
/** Emoji per album. */
export const FIXTURE_EMOJI_PER_ALBUM = 10;

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
export function pickFixtureEmoji(perAlbum = FIXTURE_EMOJI_PER_ALBUM): EmojiRecord[] {
  const smileys = smileysEveryVendorDraws();
  const others = emojiEveryVendorDraws().filter((e) => e.category !== 'Smileys & Emotion');
  return [...smileys, ...others].slice(0, perAlbum);
}

/** Every smiley all fixture vendors draw, in emoji order. */
export function smileysEveryVendorDraws(): EmojiRecord[] {
  return emojiEveryVendorDraws().filter((e) => e.category === 'Smileys & Emotion');
}

/** Every emoji all fixture vendors draw (flags excluded: they are rectangles of stripes), in emoji order. */
export function emojiEveryVendorDraws(): EmojiRecord[] {
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
