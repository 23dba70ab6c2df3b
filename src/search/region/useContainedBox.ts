import { useLayoutEffect, useState, type RefObject } from 'react';

/** Where an element's content sits inside its offset parent, in CSS pixels. */
export interface Box {
  left: number;
  top: number;
  width: number;
  height: number;
}

function containedBox(img: HTMLImageElement, fallbackAspect: number): Box {
  // object-fit: contain letterboxes the picture when max-width squeezes the element.
  const aspect = img.naturalWidth > 0 ? img.naturalWidth / img.naturalHeight : fallbackAspect;
  const outerW = img.clientWidth;
  const outerH = img.clientHeight;
  let width = outerW;
  let height = outerW / aspect;
  if (height > outerH) {
    height = outerH;
    width = outerH * aspect;
  }
  return {
    left: img.offsetLeft + (outerW - width) / 2,
    top: img.offsetTop + (outerH - height) / 2,
    width,
    height,
  };
}

/**
 * The box the picture of an object-fit: contain <img> occupies, kept up to date as the page resizes and
 * the image loads, so a layer drawn over it lines up with the pixels.
 */
export function useContainedBox(
  imgRef: RefObject<HTMLImageElement | null>,
  fallbackAspect: number,
): Box | null {
  const [box, setBox] = useState<Box | null>(null);
  useLayoutEffect(() => {
    const img = imgRef.current;
    if (!img) return;
    const update = () => setBox(containedBox(img, fallbackAspect));
    update();
    const observer = new ResizeObserver(update);
    observer.observe(img);
    img.addEventListener('load', update);
    window.addEventListener('resize', update);
    return () => {
      observer.disconnect();
      img.removeEventListener('load', update);
      window.removeEventListener('resize', update);
    };
  }, [imgRef, fallbackAspect]);
  return box;
}
