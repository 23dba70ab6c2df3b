import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import sharp from 'sharp';
import type { RgbaImage } from '../../core/rgbaImage';

/*
 * Cross-vendor emoji ground truth from the emoji-datasource-{apple,google,twitter} packages: the same
 * `unified` code names the same emoji in every vendor's art, so a good embedding puts them close.
 */

export const EMOJI_VENDORS = ['apple', 'google', 'twitter'] as const;
export type EmojiVendor = (typeof EMOJI_VENDORS)[number];

export interface EmojiImage {
  vendor: EmojiVendor;
  unified: string;
  file: string;
}

interface EmojiEntry {
  unified: string;
  image: string;
  skin_variations?: Record<string, EmojiEntry>;
  [hasImg: `has_img_${string}`]: boolean | undefined;
}

const require = createRequire(import.meta.url);

function vendorDir(vendor: EmojiVendor): string {
  return path.dirname(require.resolve(`emoji-datasource-${vendor}/emoji.json`));
}

/** Every 64 px image of the vendor, skin-tone variations included. */
export function emojiImages(vendor: EmojiVendor): EmojiImage[] {
  const dir = vendorDir(vendor);
  const entries = JSON.parse(readFileSync(path.join(dir, 'emoji.json'), 'utf8')) as EmojiEntry[];
  const out: EmojiImage[] = [];
  const add = (e: EmojiEntry) => {
    if (!e[`has_img_${vendor}`]) return;
    const file = path.join(dir, 'img', vendor, '64', e.image);
    if (existsSync(file)) out.push({ vendor, unified: e.unified, file });
  };
  for (const e of entries) {
    add(e);
    for (const v of Object.values(e.skin_variations ?? {})) add(v);
  }
  return out;
}

export async function decodeRgba(file: string): Promise<RgbaImage> {
  const { data, info } = await sharp(file).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  if (info.channels !== 4) throw new Error(`${file}: decoded to ${info.channels} channels`);
  return {
    width: info.width,
    height: info.height,
    data: new Uint8Array(data.buffer, data.byteOffset, data.length),
  };
}

/** Unicode's skin-tone modifiers, U+1F3FB–U+1F3FF (Fitzpatrick types 1-2 to 6). */
const SKIN_TONE_CODES = new Set(['1F3FB', '1F3FC', '1F3FD', '1F3FE', '1F3FF']);

/**
 * An emoji with a skin-tone modifier has up to five siblings that differ only in skin colour (the
 * other tones and the default yellow), which makes these the hardest queries: the report breaks the
 * set down by it.
 */
export function skinToneFacet(unified: string): string {
  return unified.split('-').some((code) => SKIN_TONE_CODES.has(code.toUpperCase()))
    ? 'skin tone'
    : 'no skin tone';
}
