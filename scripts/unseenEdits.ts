import sharp, { type Sharp } from 'sharp';
import { mulberry32 } from '../core/prng';
import type { RgbaImage } from '../core/rgbaImage';

/*
 * Edits the builder never makes. Its views, from which the index transform learns what must not
 * matter (index-builder/imageEdits.ts), are crops, downsizing, recompression, colour changes, small
 * rotations and greyscale, and the photos set queries by those same edits, so its figures are those of
 * edits the transform was taught. The photos-unseen set queries the same wallpapers by these instead:
 * what a duplicate also goes through (a mirrored repost, a frame, a caption bar, a blur, a skewed
 * scan, sensor noise), none of which the views ever show.
 */

export const UNSEEN_EDITS = ['blur', 'mirror', 'frame', 'caption', 'shear', 'noise', 'mixed'] as const;
type UnseenEdit = (typeof UNSEEN_EDITS)[number];

function raw(image: RgbaImage): Sharp {
  return sharp(image.data, { raw: { width: image.width, height: image.height, channels: 4 } }).removeAlpha();
}

async function rgb(s: Sharp): Promise<{ data: Buffer; width: number; height: number }> {
  const { data, info } = await s.raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

/** A dark, 75 %-opaque band over the bottom fifth, where a caption or a player's controls sit. */
async function captionBar(s: Sharp): Promise<Sharp> {
  const { data, width, height } = await rgb(s);
  const from = Math.round(height * 0.8);
  for (let i = from * width * 3; i < data.length; i++) data[i] = Math.round(data[i] * 0.25 + 20 * 0.75);
  return sharp(data, { raw: { width, height, channels: 3 } });
}

/** Gaussian noise of standard deviation `sigma` (0–255) on every channel, from a seeded generator. */
async function noisy(s: Sharp, sigma: number, seed: number): Promise<Sharp> {
  const { data, width, height } = await rgb(s);
  const next = mulberry32(seed);
  const u = () => (next() + 0.5) / 2 ** 32;
  for (let i = 0; i < data.length; i++) {
    const g = Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
    data[i] = Math.max(0, Math.min(255, Math.round(data[i] + sigma * g)));
  }
  return sharp(data, { raw: { width, height, channels: 3 } });
}

/** A white border of 8 % of the long side, as a print, a card or a screenshot's margin adds. */
function framed(s: Sharp, longSide: number): Sharp {
  const m = Math.round(longSide * 0.08);
  return s.extend({ top: m, bottom: m, left: m, right: m, background: '#ffffff' });
}

// Each step goes through a raw buffer: sharp applies a pipeline's operations in its own order.
const step = async (s: Sharp) => sharp(await s.png({ compressionLevel: 0 }).toBuffer());

/** The image after the edit, encoded as a JPEG of quality 90 (how an edited copy is usually saved). */
export async function applyUnseenEdit(image: RgbaImage, edit: UnseenEdit, seed: number): Promise<Buffer> {
  const longSide = Math.max(image.width, image.height);
  let s = raw(image);
  switch (edit) {
    case 'blur':
      s = s.blur(Math.max(1, longSide / 400));
      break;
    case 'mirror':
      s = s.flop();
      break;
    case 'frame':
      s = framed(s, longSide);
      break;
    case 'caption':
      s = await captionBar(s);
      break;
    case 'shear':
      // A skewed scan or photo of a screen; the corners it uncovers are black.
      s = s.affine([1, 0.2, 0, 1], { background: '#000000' });
      break;
    case 'noise':
      s = await noisy(s, 25, seed);
      break;
    case 'mixed':
      s = await noisy(await captionBar(await step(framed(s.flop(), longSide))), 15, seed);
      break;
  }
  return s.jpeg({ quality: 90 }).toBuffer();
}
