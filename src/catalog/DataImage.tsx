import { useEffect, useState, type ImgHTMLAttributes } from 'react';

/**
 * An image of the collection (thumbnail, original). One the browser cannot load — offline and never
 * stored, or gone from the host — becomes a quiet tile that says why, in the image's place, instead of
 * the browser's broken-image icon with its alt text spilled over the tile; back online, it is tried
 * again.
 */
export function DataImage(props: ImgHTMLAttributes<HTMLImageElement>) {
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    if (!failed) return;
    const retry = () => setFailed(false);
    window.addEventListener('online', retry);
    return () => window.removeEventListener('online', retry);
  }, [failed]);
  if (failed) {
    const why = navigator.onLine ? 'Image unavailable' : 'Not available offline';
    return (
      <span
        className="image-unavailable"
        data-testid="image-unavailable"
        {...(props.alt
          ? { role: 'img', 'aria-label': `${props.alt}: ${why.toLowerCase()}` }
          : { 'aria-hidden': true })}
      >
        {why}
      </span>
    );
  }
  return (
    <img
      {...props}
      onError={(event) => {
        props.onError?.(event);
        setFailed(true);
      }}
    />
  );
}
