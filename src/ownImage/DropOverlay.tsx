/** Shown while a file is dragged over the window: the whole page is the drop target. */
export function DropOverlay() {
  return (
    <div className="drop-overlay" data-testid="drop-overlay" aria-hidden="true">
      <div className="drop-card">Drop an image to find similar ones</div>
    </div>
  );
}
