import { useCallback, useRef, useState } from 'react';
import { errorMessage } from '../../core/errorMessage';
import { printable } from '../../core/printableText';
import { uploadHref } from '../routing/route';
import { navigate } from '../routing/useHashRoute';
import { firstContent } from '../loading/firstContent';
import { decodeImage } from '../searchClient';
import { setLastUpload } from './lastUpload';
import { inertCopy, pngOf } from './shownImage';

export interface ImageError {
  message: string;
  /** The page it happened on: the message belongs there and is not carried to other pages. */
  hash: string;
}

export interface OwnImagePicker {
  /** Decodes the image on the page, keeps it in memory and opens its results page. */
  pick: (blob: Blob, name: string) => Promise<void>;
  decoding: boolean;
  /** Why the last image could not be used; the rest of the app keeps working. */
  error: ImageError | null;
  dismissError: () => void;
}

export function useOwnImagePicker(k: number): OwnImagePicker {
  const [decoding, setDecoding] = useState(false);
  const [error, setError] = useState<ImageError | null>(null);
  const latest = useRef(0);

  const pick = useCallback(
    async (blob: Blob, name: string) => {
      // An own-image search needs the model: stop holding its background load back.
      firstContent.raise();
      // A large file decodes for seconds, and a drop or paste can come meanwhile: the last image picked
      // is the one searched, whichever decodes first.
      const serial = ++latest.current;
      const pickedOn = window.location.hash;
      setDecoding(true);
      setError(null);
      try {
        const pixels = await decodeImage(blob);
        const shown = await pngOf(pixels);
        if (serial !== latest.current) return;
        setLastUpload(inertCopy(blob), shown, name, pixels);
        // Someone who went to another page while it decoded stays there; the image waits on its page.
        if (window.location.hash === pickedOn) navigate(uploadHref(k));
      } catch (cause) {
        if (serial !== latest.current) return;
        setError({
          message: `Couldn't read ${name ? printable(name) : 'that image'}: ${errorMessage(cause)}`,
          hash: window.location.hash,
        });
      } finally {
        if (serial === latest.current) setDecoding(false);
      }
    },
    [k],
  );

  const dismissError = useCallback(() => setError(null), []);
  return { pick, decoding, error, dismissError };
}
