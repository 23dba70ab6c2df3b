import { useEffect, useRef, useState } from 'react';
import { cameraErrorMessage } from './cameraSupport';

interface CameraDialogProps {
  onCapture: (frame: Blob) => void;
  onClose: () => void;
}

type CameraState = { status: 'starting' } | { status: 'live' } | { status: 'failed'; message: string };

/** A modal camera preview; "Take photo" draws the current frame to a canvas and hands it on as a PNG. */
export function CameraDialog({ onCapture, onClose }: CameraDialogProps) {
  const dialogRef = useRef<HTMLDialogElement>(null);
  const videoRef = useRef<HTMLVideoElement>(null);
  const [state, setState] = useState<CameraState>({ status: 'starting' });

  useEffect(() => {
    const dialog = dialogRef.current;
    // React's development double-run of effects would otherwise open it twice.
    if (dialog && !dialog.open) dialog.showModal();
    let stream: MediaStream | null = null;
    let cancelled = false;
    navigator.mediaDevices
      .getUserMedia({ video: { facingMode: 'environment' }, audio: false })
      .then(async (s) => {
        if (cancelled) {
          s.getTracks().forEach((t) => t.stop());
          return;
        }
        stream = s;
        const video = videoRef.current;
        if (!video) return;
        video.srcObject = s;
        await video.play();
        if (!cancelled) setState({ status: 'live' });
      })
      .catch((error: unknown) => {
        if (!cancelled) setState({ status: 'failed', message: cameraErrorMessage(error) });
      });
    return () => {
      cancelled = true;
      // Stopping the tracks turns the camera light off as soon as the dialog goes away.
      stream?.getTracks().forEach((t) => t.stop());
    };
  }, []);

  const capture = () => {
    const video = videoRef.current;
    if (!video || video.videoWidth === 0) return;
    const canvas = document.createElement('canvas');
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    const context = canvas.getContext('2d');
    if (!context) {
      setState({ status: 'failed', message: 'This browser cannot copy a frame from the camera.' });
      return;
    }
    context.drawImage(video, 0, 0);
    canvas.toBlob((blob) => {
      if (blob) onCapture(blob);
      else setState({ status: 'failed', message: 'The camera frame could not be captured.' });
    }, 'image/png');
  };

  return (
    <dialog
      ref={dialogRef}
      className="camera-dialog"
      aria-labelledby="camera-title"
      onClose={onClose}
      data-testid="camera-dialog"
    >
      <h2 id="camera-title">Search with a photo</h2>
      <div className="camera-frame">
        <video ref={videoRef} muted playsInline aria-label="Camera preview" />
        {state.status === 'starting' && <p className="camera-note">Starting the camera…</p>}
        {state.status === 'failed' && (
          <p className="camera-note camera-error" role="alert" data-testid="camera-error">
            {state.message}
          </p>
        )}
      </div>
      <div className="dialog-actions">
        <button type="button" className="button" onClick={() => dialogRef.current?.close()}>
          Cancel
        </button>
        <button
          type="button"
          className="button button-primary"
          onClick={capture}
          disabled={state.status !== 'live'}
        >
          Take photo
        </button>
      </div>
    </dialog>
  );
}
