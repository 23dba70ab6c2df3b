import { useLayoutEffect, useState, type RefObject } from 'react';

/** Where an element's content sits inside its offset parent, in CSS pixels. */
export interface Box {
  left: number;
  top: number;
  width: number;
  height: number;
}

function containedBox(img: HTMLImageElement, fallbackAspect: number): Box {
  // object-fit: contain letterboxes the picture when the element's shape differs from the file's.
  const aspect = img.naturalWidth > 0 ? img.naturalWidth / img.naturalHeight : fallbackAspect;
  // Fractional sizes: clientWidth, clientHeight and offsetLeft round. In a box that fits a wide picture
  // exactly they would misplace the layer: a 6000×500 panorama 93.17 px tall, rounded to 93, made it
  // 93 × 12 = 1116 px wide over a picture about 1118 px wide.
  const outer = img.getBoundingClientRect();
  // The layer is placed in the padding box of the img's offset parent (the frame).
  const parent = img.offsetParent;
  const parentRect = parent?.getBoundingClientRect();
  const originX = parent && parentRect ? parentRect.left + parent.clientLeft : 0;
  const originY = parent && parentRect ? parentRect.top + parent.clientTop : 0;
  let width = outer.width;
  let height = outer.width / aspect;
  if (height > outer.height) {
    height = outer.height;
    width = outer.height * aspect;
  }
  return {
    left: outer.left - originX + (outer.width - width) / 2,
    top: outer.top - originY + (outer.height - height) / 2,
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
