import { mulberry32 } from '../core/prng';
import type { RgbaImage } from '../core/rgbaImage';

/*
 * Images that static quantization (staticQuantization.ts) runs the float model on to find each
 * activation's range. They are drawn, not read: `npm run build-model` runs from the npm packages alone
 * (also after `npm ci --omit=dev`, without the emoji packages or the development sets), and the same
 * seed gives the same images, so a rebuild gives the same model bytes. Four kinds cover what real
 * images drive a CNN with: stripes of any frequency and angle, a flat disc on a flat ground (an emoji on
 * white, a logo), per-pixel noise (the largest high-frequency responses) and checkerboards (edges and
 * corners), each between two random colours. On the development sets these ranges were within a few per
 * cent of those of 144 real emoji, photos and textures (docs/model.md, "The model in int8").
 */

const SIDE = 160;

/** `count` synthetic RGBA images of SIDE × SIDE, the same for the same `count` and `seed`. */
export function calibrationImages(count: number, seed = 12345): RgbaImage[] {
  const next = mulberry32(seed);
  const u = () => next() / 2 ** 32;
  const images: RgbaImage[] = [];
  for (let k = 0; k < count; k++) {
    const data = new Uint8Array(SIDE * SIDE * 4);
    const a = [u(), u(), u()].map((v) => v * 255);
    const b = [u(), u(), u()].map((v) => v * 255);
    const frequency = 1 + u() * 30;
    const angle = u() * Math.PI;
    const [cx, cy, radius] = [u() * SIDE, u() * SIDE, 20 + u() * 60];
    const cell = Math.floor(4 + frequency);
    for (let y = 0; y < SIDE; y++)
      for (let x = 0; x < SIDE; x++) {
        let t: number;
        switch (k % 4) {
          case 0:
            t =
              0.5 +
              0.5 * Math.sin(((x * Math.cos(angle) + y * Math.sin(angle)) * frequency * 2 * Math.PI) / SIDE);
            break;
          case 1:
            t = (x - cx) ** 2 + (y - cy) ** 2 < radius ** 2 ? 1 : 0;
            break;
          case 2:
            t = u();
            break;
          default:
            t = (Math.floor(x / cell) + Math.floor(y / cell)) & 1;
        }
        const i = (y * SIDE + x) * 4;
        for (let c = 0; c < 3; c++) data[i + c] = Math.round(a[c] * t + b[c] * (1 - t));
        data[i + 3] = 255;
      }
    images.push({ width: SIDE, height: SIDE, data });
  }
  return images;
}
