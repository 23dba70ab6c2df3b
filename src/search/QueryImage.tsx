import type { ReactNode } from 'react';

interface QueryImageProps {
  src: string;
  alt: string;
  width?: number;
  height?: number;
  caption: ReactNode;
}

/** The image being searched from, shown large above its neighbours. */
export function QueryImage({ src, alt, width, height, caption }: QueryImageProps) {
  return (
    <figure className="query-image" data-testid="query-image">
      <div className="query-frame">
        <img src={src} alt={alt} width={width} height={height} decoding="async" />
      </div>
      <figcaption>{caption}</figcaption>
    </figure>
  );
}
