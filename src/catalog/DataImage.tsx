import { useEffect, useState, type ImgHTMLAttributes } from 'react';

/*
 * How many times the browser has come back online. A load that began before the last 'online' event
 * may report its failure after it (a request made offline can fail late on a loaded machine), when a
 * listener added then would wait for an event already gone: such a failure is tried again at once.
 */
let onlineCount = 0;
if (typeof window !== 'undefined') window.addEventListener('online', () => (onlineCount += 1));

/** One attempt at loading an image: its source, and onlineCount when it began. */
interface Attempt {
  src: string | undefined;
  onlineCount: number;
  failed: boolean;
}

/**
 * An image of the collection (thumbnail, original). One the browser cannot load — offline and never
 * stored, or gone from the host — becomes a quiet tile that says why, in the image's place, instead of
 * the browser's broken-image icon with its alt text spilled over the tile; back online, it is tried
 * again.
 */
export function DataImage(props: ImgHTMLAttributes<HTMLImageElement>) {
  const [attempt, setAttempt] = useState<Attempt>(() => ({ src: props.src, onlineCount, failed: false }));
  // A new source is a new attempt: a failure of the last one says nothing about it.
  const current = attempt.src === props.src ? attempt : { src: props.src, onlineCount, failed: false };
  const failed = current.failed;
  useEffect(() => {
    if (!failed) return;
    const retry = () => setAttempt({ src: props.src, onlineCount, failed: false });
    // Online again between the failure and this effect: no event is coming for it.
    if (onlineCount !== current.onlineCount) return retry();
    window.addEventListener('online', retry);
    return () => window.removeEventListener('online', retry);
  }, [failed, current.onlineCount, props.src]);
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
      // A retry is a new element, so the browser asks again rather than keep the failed load.
      key={current.onlineCount}
      onError={(event) => {
        props.onError?.(event);
        if (onlineCount !== current.onlineCount) setAttempt({ src: props.src, onlineCount, failed: false });
        else setAttempt({ ...current, failed: true });
      }}
    />
  );
}
