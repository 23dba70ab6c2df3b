import { useEffect, useRef } from 'react';
import { pickImageFile } from './pickImageFile';

/** Ctrl+V / Cmd+V of an image anywhere on the page searches with it; pasting text is left alone. */
export function useClipboardImage(onFile: (file: File) => void): void {
  const handler = useRef(onFile);
  useEffect(() => {
    handler.current = onFile;
  });

  useEffect(() => {
    const onPaste = (e: ClipboardEvent) => {
      const files = e.clipboardData?.files;
      if (!files || files.length === 0) return;
      const file = pickImageFile(files);
      if (!file) return;
      e.preventDefault();
      handler.current(file);
    };
    window.addEventListener('paste', onPaste);
    return () => window.removeEventListener('paste', onPaste);
  }, []);
}
