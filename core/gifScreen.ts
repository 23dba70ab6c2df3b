/*
 * A GIF's logical screen, from its header. The browser allocates the screen, whatever its frames'
 * sizes, while libvips reports the frame it decodes: the page (src/declaredSize.ts) and the builder
 * (index-builder/decodeImage.ts) both judge a GIF's size by it, so they refuse the same files.
 */

export interface GifScreen {
  width: number;
  height: number;
}

/** The logical screen a GIF declares, or undefined when `b` is not a GIF's header or is cut short. */
export function gifScreen(b: Uint8Array): GifScreen | undefined {
  if (b.length < 10 || String.fromCharCode(...b.subarray(0, 4)) !== 'GIF8') return undefined;
  return { width: b[6] | (b[7] << 8), height: b[8] | (b[9] << 8) };
}
