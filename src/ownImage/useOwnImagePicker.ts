import { useCallback, useState } from 'react';
import { errorMessage } from '../common/errorMessage';
import { uploadHref } from '../routing/route';
import { navigate } from '../routing/useHashRoute';
import { firstContent } from '../loading/firstContent';
import { decodeImage } from '../searchClient';
import { setLastUpload } from './lastUpload';

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

  const pick = useCallback(
    async (blob: Blob, name: string) => {
      // An own-image search needs the model: stop holding its background load back.
      firstContent.raise();
      setDecoding(true);
      setError(null);
      try {
        const pixels = await decodeImage(blob);
        setLastUpload(blob, name, pixels);
        navigate(uploadHref(k));
      } catch (cause) {
        setError({ message: `Couldn't read that image: ${errorMessage(cause)}`, hash: window.location.hash });
      } finally {
        setDecoding(false);
      }
    },
    [k],
  );

  const dismissError = useCallback(() => setError(null), []);
  return { pick, decoding, error, dismissError };
}
