import { useRef, useState } from 'react';
import { CameraDialog } from './CameraDialog';
import { CameraIcon } from './CameraIcon';
import { UploadIcon } from './UploadIcon';
import { hasCameraApi } from './cameraSupport';

interface OwnImageControlsProps {
  onImage: (blob: Blob, name: string) => void;
  busy: boolean;
}

/** "Search with your image": a file picker, and a camera where the browser offers one. */
export function OwnImageControls({ onImage, busy }: OwnImageControlsProps) {
  const inputRef = useRef<HTMLInputElement>(null);
  const [cameraOpen, setCameraOpen] = useState(false);
  const cameraAvailable = hasCameraApi();

  return (
    <div className="own-image" role="group" aria-label="Search with your own image">
      <input
        ref={inputRef}
        type="file"
        accept="image/*"
        className="visually-hidden"
        tabIndex={-1}
        aria-hidden="true"
        data-testid="own-image-input"
        onChange={(e) => {
          const file = e.currentTarget.files?.[0];
          // Reset so choosing the same file again still fires a change event.
          e.currentTarget.value = '';
          if (file) onImage(file, file.name);
        }}
      />
      <button
        type="button"
        className="button button-primary"
        onClick={() => {
          if (!busy) inputRef.current?.click();
        }}
        // While an image decodes the buttons do nothing but stay focusable (aria-disabled, not disabled):
        // a disabled button drops keyboard focus to the page's body.
        aria-disabled={busy}
        data-testid="own-image-button"
      >
        <UploadIcon />
        {busy ? 'Reading image…' : 'Search with your image'}
      </button>
      {cameraAvailable && (
        <button
          type="button"
          className="button"
          onClick={() => {
            if (!busy) setCameraOpen(true);
          }}
          aria-disabled={busy}
          data-testid="camera-button"
          title="Take a photo with your camera"
        >
          <CameraIcon />
          Camera
        </button>
      )}
      <span className="own-image-hint">or drop or paste an image anywhere</span>
      {cameraOpen && (
        <CameraDialog
          onClose={() => setCameraOpen(false)}
          onCapture={(frame) => {
            setCameraOpen(false);
            onImage(frame, 'Camera photo');
          }}
        />
      )}
    </div>
  );
}
