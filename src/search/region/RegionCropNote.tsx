import type { RegionCrop } from './regionSource';

/** Says what a region search cut out, and from what: the original, or a smaller rendition and why. */
export function RegionCropNote({ crop }: { crop: Omit<RegionCrop, 'pixels'> }) {
  const { rect, from, skipped, sourceWidth, sourceHeight } = crop;
  return (
    <p className="region-crop-note" data-testid="region-crop">
      Searched {rect.width}×{rect.height} px of {from.what} ({sourceWidth}×{sourceHeight})
      {skipped.length > 0 && `, because ${skipped.join('; ')}`}.
    </p>
  );
}
