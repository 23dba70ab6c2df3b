import sharp, { type Sharp } from 'sharp';
import { mulberry32 } from '../core/prng';
import type { RgbaImage } from '../core/rgbaImage';
import { toRgba } from './decodeImage';

/*
 * The edits people make to photos (and that duplicate finders must see through): crops, downsizing,
 * recompression, colour changes, small rotations. Used by the builder to make augmented views of a
 * collection's own images (what the learned projection must not care about) and by the bench to make
 * its edited-photo development set.
 */

export type ImageEdit =
  /** Keeps `area` (0–1] of the image, same aspect ratio, centred at (cx, cy) in image fractions. */
  | { kind: 'crop'; area: number; cx: number; cy: number }
  /** Shrinks so that the long side is at most `longSide` pixels. */
  | { kind: 'resize'; longSide: number }
  /** Encodes as JPEG at this quality (1–100) and decodes again. */
  | { kind: 'jpeg'; quality: number }
  /** Multiplies brightness and saturation; contrast stretches around mid-grey. 1 = unchanged. */
  | { kind: 'colour'; brightness: number; contrast: number; saturation: number }
  /** Rotates by `degrees` and keeps the largest upright rectangle inside, so no border shows. */
  | { kind: 'rotate'; degrees: number }
  | { kind: 'greyscale' };

function raw(image: RgbaImage): Sharp {
  return sharp(image.data, { raw: { width: image.width, height: image.height, channels: 4 } });
}

/** Side of the largest axis-aligned rectangle of the same aspect inside a w×h image turned by θ. */
function inscribedScale(w: number, h: number, degrees: number): number {
  const t = (Math.abs(degrees) * Math.PI) / 180;
  const c = Math.cos(t);
  const s = Math.sin(t);
  // A centred w·k × h·k rectangle fits when its rotated corners stay inside the original frame.
  return Math.min(w / (w * c + h * s), h / (w * s + h * c));
}

async function applyOne(image: RgbaImage, edit: ImageEdit): Promise<RgbaImage> {
  const { width: w, height: h } = image;
  switch (edit.kind) {
    case 'crop': {
      const side = Math.sqrt(Math.min(1, Math.max(edit.area, 1e-4)));
      const cw = Math.max(1, Math.round(w * side));
      const ch = Math.max(1, Math.round(h * side));
      const left = Math.min(w - cw, Math.max(0, Math.round(edit.cx * w - cw / 2)));
      const top = Math.min(h - ch, Math.max(0, Math.round(edit.cy * h - ch / 2)));
      return toRgba(raw(image).extract({ left, top, width: cw, height: ch }));
    }
    case 'resize':
      return toRgba(
        raw(image).resize(edit.longSide, edit.longSide, { fit: 'inside', withoutEnlargement: true }),
      );
    case 'jpeg': {
      const jpeg = await raw(image)
        .jpeg({ quality: Math.round(edit.quality), mozjpeg: false })
        .toBuffer();
      return toRgba(sharp(jpeg));
    }
    case 'colour': {
      const { brightness, contrast, saturation } = edit;
      // Contrast about mid-grey, then brightness and saturation in HSL-like terms (libvips modulate).
      return toRgba(
        raw(image)
          .linear(
            [contrast, contrast, contrast, 1],
            [128 * (1 - contrast), 128 * (1 - contrast), 128 * (1 - contrast), 0],
          )
          .modulate({ brightness, saturation }),
      );
    }
    case 'rotate': {
      const k = inscribedScale(w, h, edit.degrees);
      const rotated = await toRgba(raw(image).rotate(edit.degrees, { background: '#ffffff' }));
      const cw = Math.max(1, Math.floor(w * k));
      const ch = Math.max(1, Math.floor(h * k));
      const left = Math.max(0, Math.floor((rotated.width - cw) / 2));
      const top = Math.max(0, Math.floor((rotated.height - ch) / 2));
      return toRgba(
        raw(rotated).extract({
          left,
          top,
          width: Math.min(cw, rotated.width - left),
          height: Math.min(ch, rotated.height - top),
        }),
      );
    }
    case 'greyscale': {
      // By hand: libvips would hand back one channel, and Rec. 601 luma is what a photo app shows.
      const data = Uint8Array.from(image.data);
      for (let i = 0; i < data.length; i += 4) {
        const y = Math.round(0.299 * data[i] + 0.587 * data[i + 1] + 0.114 * data[i + 2]);
        data[i] = data[i + 1] = data[i + 2] = y;
      }
      return { width: w, height: h, data };
    }
  }
}

/** Flattens transparency over white (as preprocessing does), then applies the edits in order. */
export async function editImage(image: RgbaImage, edits: readonly ImageEdit[]): Promise<RgbaImage> {
  let out = await toRgba(raw(image).flatten({ background: '#ffffff' }));
  for (const edit of edits) out = await applyOne(out, edit);
  return out;
}

/** The edited image as a file: JPEG at the last `jpeg` edit's quality, else PNG. */
export async function encodeEdited(image: RgbaImage, edits: readonly ImageEdit[]): Promise<Buffer> {
  const last = [...edits].reverse().find((e) => e.kind === 'jpeg');
  const body = last ? edits.filter((e) => e !== last) : edits;
  const edited = await editImage(image, body);
  const s = raw(edited).removeAlpha();
  return last?.kind === 'jpeg'
    ? s.jpeg({ quality: Math.round(last.quality) }).toBuffer()
    : s.png().toBuffer();
}

/**
 * A random chain of the edits a duplicate may have gone through, from a seeded generator: crops down
 * to 40 % of the area, downsizing to 200 px, JPEG q10–40, brightness/contrast/saturation ±30 %,
 * greyscale, rotations up to 10°. Each view gets at least two edits.
 */
export function randomEdits(seed: number): ImageEdit[] {
  const next = mulberry32(seed);
  const u = () => next() / 2 ** 32;
  const range = (lo: number, hi: number) => lo + (hi - lo) * u();
  for (;;) {
    const edits: ImageEdit[] = [];
    if (u() < 0.3) edits.push({ kind: 'rotate', degrees: range(-10, 10) });
    if (u() < 0.6)
      edits.push({ kind: 'crop', area: range(0.4, 1), cx: range(0.3, 0.7), cy: range(0.3, 0.7) });
    if (u() < 0.75)
      edits.push({
        kind: 'colour',
        brightness: range(0.7, 1.3),
        contrast: range(0.7, 1.3),
        saturation: range(0.7, 1.3),
      });
    if (u() < 0.15) edits.push({ kind: 'greyscale' });
    if (u() < 0.4) edits.push({ kind: 'resize', longSide: Math.round(range(200, 400)) });
    if (u() < 0.6) edits.push({ kind: 'jpeg', quality: Math.round(range(10, 40)) });
    if (edits.length >= 2) return edits;
  }
}
