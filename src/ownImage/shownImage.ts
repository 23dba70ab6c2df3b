import type { QueryPixels } from '../../workers/searchApi';

/**
 * The person's own image as the page shows it: a PNG of the pixels decoded for searching, never the
 * file itself. An object URL keeps its file's type, so a picked SVG (or an HTML file that begins with
 * <svg>) shown by its own URL became a document of the site's origin once that address was opened as
 * a page (pasted, or the image dragged to the tab bar), where its script ran without the app's CSP and
 * could rewrite the service worker's cached app (audit, December 2026). A PNG runs nothing.
 */
export async function pngOf(pixels: QueryPixels): Promise<Blob> {
  const { width, height } = pixels;
  const image = new ImageData(new Uint8ClampedArray(pixels.data), width, height);
  if (typeof OffscreenCanvas !== 'undefined') {
    const canvas = new OffscreenCanvas(width, height);
    canvas.getContext('2d')!.putImageData(image, 0, 0);
    return canvas.convertToBlob({ type: 'image/png' });
  }
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  canvas.getContext('2d')!.putImageData(image, 0, 0);
  return new Promise((resolve, reject) =>
    canvas.toBlob(
      (blob) => (blob ? resolve(blob) : reject(new Error('the image could not be shown'))),
      'image/png',
    ),
  );
}

/**
 * The file itself, for cutting regions at full resolution (src/search/region/regionSource.ts decodes it
 * by its bytes): typed as a download, so that its address opened as a page is saved, not shown.
 */
export function inertCopy(file: Blob): Blob {
  return new Blob([file], { type: 'application/octet-stream' });
}
