/** A decoded image: RGBA8, row-major, no padding between rows. */
export interface RgbaImage {
  width: number;
  height: number;
  data: Uint8Array | Uint8ClampedArray;
}

/** Throws a clear Error unless `image` is a non-empty RGBA8 image whose buffer matches its size. */
export function assertRgbaImage(image: RgbaImage, what = 'image'): void {
  if (image === null || typeof image !== 'object') throw new Error(`${what}: expected an RgbaImage object`);
  const { width, height, data } = image;
  if (!Number.isInteger(width) || width <= 0 || !Number.isInteger(height) || height <= 0) {
    throw new Error(`${what}: width and height must be positive integers, got ${width}×${height}`);
  }
  if (!(data instanceof Uint8Array || data instanceof Uint8ClampedArray)) {
    throw new Error(`${what}: data must be a Uint8Array or Uint8ClampedArray`);
  }
  if (data.length !== width * height * 4) {
    throw new Error(
      `${what}: data has ${data.length} bytes, expected ${width * height * 4} for ${width}×${height} RGBA`,
    );
  }
}
