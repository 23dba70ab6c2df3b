import type { ReactNode } from 'react';
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
  return (
    <figure className="query-image" data-testid="query-image">
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
