import { useEffect, useRef, useState } from 'react';
import { dragHasFiles, pickImageFile } from './pickImageFile';

/**
 * Makes the whole window a drop target for an image file. Returns whether a file is being dragged over the
 * window, for the overlay. `onFile` is read through a ref so listeners are attached once.
 */
export function useWindowImageDrop(onFile: (file: File) => void): boolean {
  const [dragging, setDragging] = useState(false);
  const handler = useRef(onFile);
  useEffect(() => {
    handler.current = onFile;
  });

  useEffect(() => {
    // dragenter/dragleave fire for every child element crossed; count them to know when the drag left.
    let depth = 0;
    const isFileDrag = (e: DragEvent) => dragHasFiles(Array.from(e.dataTransfer?.types ?? []));
    const onDragEnter = (e: DragEvent) => {
      if (!isFileDrag(e)) return;
      depth += 1;
      setDragging(true);
    };
    const onDragLeave = (e: DragEvent) => {
      if (!isFileDrag(e)) return;
      depth = Math.max(0, depth - 1);
      if (depth === 0) setDragging(false);
    };
    const onDragOver = (e: DragEvent) => {
      if (!isFileDrag(e)) return;
      // Without preventDefault the browser would navigate to the dropped file instead of handing it to us.
      e.preventDefault();
      if (e.dataTransfer) e.dataTransfer.dropEffect = 'copy';
    };
    const onDrop = (e: DragEvent) => {
      depth = 0;
      setDragging(false);
      if (!e.dataTransfer || !isFileDrag(e)) return;
      e.preventDefault();
      const file = pickImageFile(e.dataTransfer.files);
      if (file) handler.current(file);
    };
    window.addEventListener('dragenter', onDragEnter);
    window.addEventListener('dragleave', onDragLeave);
    window.addEventListener('dragover', onDragOver);
    window.addEventListener('drop', onDrop);
    return () => {
      window.removeEventListener('dragenter', onDragEnter);
      window.removeEventListener('dragleave', onDragLeave);
      window.removeEventListener('dragover', onDragOver);
      window.removeEventListener('drop', onDrop);
    };
  }, []);

  return dragging;
}
