import { useEffect, useId, useRef, useState, type PointerEvent, type KeyboardEvent } from 'react';
import type { ImageRegion } from '../../../core/imageRegion';
import {
  applyKeyAction,
  DEFAULT_REGION,
  describeRegion,
  moveRegion,
  regionFromPoints,
  regionKeyAction,
  type Point,
} from './regionEditing';
import { useContainedBox } from './useContainedBox';
import './region.css';

export interface RegionControl {
  /** The region searched (from the URL), or null for the whole image. */
  region: ImageRegion | null;
  /** Searches a region (null: the whole image again). */
  onChange: (region: ImageRegion | null) => void;
  /** The upright size of the image the region is cut from, when known (for pixel sizes). */
  sourceSize?: { width: number; height: number };
}

interface RegionSelectorProps extends RegionControl {
  src: string;
  alt: string;
  width: number;
  height: number;
}

/** A drag in progress: drawing a new box, moving the box, or resizing it by its handle. */
type Drag =
  | { kind: 'draw'; start: Point }
  | { kind: 'move'; grab: Point; from: ImageRegion }
  | { kind: 'resize'; from: ImageRegion };

const inside = (p: Point, r: ImageRegion) => p.x >= r.x && p.x <= r.x + r.w && p.y >= r.y && p.y <= r.y + r.h;

/**
 * The query image with a box over it. Mouse and pen draw, move (drag inside) and resize (drag the
 * handle) at any time; touch does so once "Search a region" is on, so touching the image still scrolls
 * the page otherwise. Keyboard: "Search a region" shows a default box, arrows move it, Shift+arrows
 * resize it, Enter searches it, Escape cancels. Releasing a drag searches the box at once.
 */
export function RegionSelector({
  src,
  alt,
  width,
  height,
  region,
  onChange,
  sourceSize,
}: RegionSelectorProps) {
  const imgRef = useRef<HTMLImageElement>(null);
  const layerRef = useRef<HTMLDivElement>(null);
  const toggleRef = useRef<HTMLButtonElement>(null);
  const statusId = useId();
  const keysId = useId();
  const box = useContainedBox(imgRef, width / height);
  const [editing, setEditing] = useState(false);
  const [draft, setDraft] = useState<ImageRegion | null>(null);
  const drag = useRef<Drag | null>(null);
  const shown = draft ?? region;

  useEffect(() => {
    if (editing) layerRef.current?.focus();
  }, [editing]);

  const stopEditing = (focusToggle: boolean) => {
    setEditing(false);
    setDraft(null);
    drag.current = null;
    if (focusToggle) toggleRef.current?.focus();
  };
  const commit = (r: ImageRegion | null, focusToggle: boolean) => {
    stopEditing(focusToggle);
    if (r) onChange(r);
  };

  const pointAt = (e: PointerEvent<HTMLDivElement>): Point => {
    const rect = e.currentTarget.getBoundingClientRect();
    return { x: (e.clientX - rect.left) / rect.width, y: (e.clientY - rect.top) / rect.height };
  };
  const dragTo = (d: Drag, p: Point): ImageRegion | null => {
    switch (d.kind) {
      case 'draw':
        return regionFromPoints(d.start, p);
      case 'move':
        return moveRegion(d.from, p.x - d.grab.x, p.y - d.grab.y);
      case 'resize':
        return regionFromPoints({ x: d.from.x, y: d.from.y }, p) ?? d.from;
    }
  };

  const onPointerDown = (e: PointerEvent<HTMLDivElement>) => {
    if (e.button !== 0 || (e.pointerType === 'touch' && !editing)) return;
    e.preventDefault();
    e.currentTarget.setPointerCapture(e.pointerId);
    const p = pointAt(e);
    const onHandle = (e.target as HTMLElement).dataset.regionHandle !== undefined;
    drag.current =
      shown && onHandle
        ? { kind: 'resize', from: shown }
        : shown && inside(p, shown)
          ? { kind: 'move', grab: p, from: shown }
          : { kind: 'draw', start: p };
  };
  const onPointerMove = (e: PointerEvent<HTMLDivElement>) => {
    if (!drag.current) return;
    const next = dragTo(drag.current, pointAt(e));
    if (next) setDraft(next);
  };
  const onPointerUp = (e: PointerEvent<HTMLDivElement>) => {
    const d = drag.current;
    if (!d) return;
    drag.current = null;
    const next = dragTo(d, pointAt(e));
    // A click leaves things as they were; a box (new, moved or resized) is searched at once.
    if (next && (d.kind !== 'move' || next.x !== d.from.x || next.y !== d.from.y)) commit(next, false);
    else if (!editing) setDraft(null);
  };
  const onPointerCancel = () => {
    drag.current = null;
    if (!editing) setDraft(null);
  };

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    if (!editing) return;
    const action = regionKeyAction(e.key, e.shiftKey);
    if (!action) return;
    e.preventDefault();
    if (action.kind === 'commit') commit(draft, true);
    else if (action.kind === 'cancel') stopEditing(true);
    else setDraft(applyKeyAction(draft ?? DEFAULT_REGION, action));
  };

  const toggle = () => {
    if (editing) {
      stopEditing(false);
      return;
    }
    setDraft(region ?? DEFAULT_REGION);
    setEditing(true);
  };

  // The status is live and changes on every arrow key, so it says only where the box is; the keys are
  // the layer's description, read once when it takes focus.
  const status = editing
    ? `Box: ${describeRegion(draft ?? DEFAULT_REGION, sourceSize)}.`
    : region
      ? `Searching only the box: ${describeRegion(region, sourceSize)}.`
      : 'Searching the whole image. Drag on it, or choose “Search a region”, to search a part of it.';

  return (
    <>
      <div className="query-frame region-frame">
        <img ref={imgRef} src={src} alt={alt} width={width} height={height} decoding="async" />
        {box && (
          <div
            ref={layerRef}
            className={editing ? 'region-layer region-layer-editing' : 'region-layer'}
            style={{ left: box.left, top: box.top, width: box.width, height: box.height }}
            role="application"
            aria-roledescription="region selector"
            aria-label={`Region of ${alt} to search`}
            aria-describedby={`${statusId} ${keysId}`}
            tabIndex={editing ? 0 : -1}
            data-testid="region-layer"
            onPointerDown={onPointerDown}
            onPointerMove={onPointerMove}
            onPointerUp={onPointerUp}
            onPointerCancel={onPointerCancel}
            onKeyDown={onKeyDown}
          >
            {shown && (
              <div
                className={draft ? 'region-box region-box-draft' : 'region-box'}
                data-testid="region-box"
                style={{
                  left: `${shown.x * 100}%`,
                  top: `${shown.y * 100}%`,
                  width: `${shown.w * 100}%`,
                  height: `${shown.h * 100}%`,
                }}
              >
                <span className="region-handle" data-region-handle="" data-testid="region-handle" />
              </div>
            )}
          </div>
        )}
      </div>
      <div className="region-controls">
        <button
          ref={toggleRef}
          type="button"
          className="button"
          aria-pressed={editing}
          onClick={toggle}
          data-testid="region-toggle"
        >
          Search a region
        </button>
        {region && !editing && (
          <button
            type="button"
            className="button"
            onClick={() => {
              // This button goes away with the region: focus moves to the region control next to it.
              toggleRef.current?.focus();
              onChange(null);
            }}
            data-testid="region-clear"
          >
            Search the whole image
          </button>
        )}
        <p className="region-status">
          <span id={statusId} role="status" aria-live="polite" data-testid="region-status">
            {status}
          </span>
          {editing && (
            <span id={keysId}>
              {' '}
              Arrow keys move it, Shift+arrow keys resize it, Enter searches it, Escape cancels.
            </span>
          )}
        </p>
      </div>
    </>
  );
}
