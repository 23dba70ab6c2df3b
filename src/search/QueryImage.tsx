import type { CSSProperties, ReactNode } from 'react';
import { RegionSelector, type RegionControl } from './region/RegionSelector';
import { DataImage } from '../catalog/DataImage';

interface QueryImageProps {
  src: string;
  alt: string;
  width?: number;
  height?: number;
  caption: ReactNode;
  /** Lets the person draw a box on the image and search only that (needs width and height). */
  regionControl?: RegionControl;
}

/** The image being searched from, shown large above its neighbours. */
export function QueryImage({ src, alt, width, height, caption, regionControl }: QueryImageProps) {
  // The image's shape sizes its box (app.css .query-frame img) before the picture has loaded.
  const shape =
    width !== undefined && height !== undefined && width > 0 && height > 0
      ? ({ '--query-aspect': String(width / height) } as CSSProperties)
      : undefined;
  return (
    <figure className="query-image" data-testid="query-image" style={shape}>
      {regionControl && width !== undefined && height !== undefined ? (
        <RegionSelector src={src} alt={alt} width={width} height={height} {...regionControl} />
      ) : (
        <div className="query-frame">
          <DataImage src={src} alt={alt} width={width} height={height} decoding="async" />
        </div>
      )}
      <figcaption>{caption}</figcaption>
    </figure>
  );
}
