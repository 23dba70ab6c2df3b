import type { LoadProgress } from '../../workers/searchApi';
import { formatBytes } from '../../core/formatBytes';
import { formatPercent } from '../format/formatPercent';
import { STAGE_LABELS } from '../loading/loadProgressState';

interface StageProgressProps {
  progress: LoadProgress;
}

/** One download in the header: "Index 1.20 MB / 3.40 MB · 35%", or "Index 3.40 MB · from cache". */
export function StageProgress({ progress }: StageProgressProps) {
  const { stage, loadedBytes, totalBytes, fromCache, done } = progress;
  const label = STAGE_LABELS[stage];
  const percent = formatPercent(loadedBytes, totalBytes, done);
  let text: string;
  if (stage === 'runtime') {
    text = done ? 'ready' : 'starting…';
  } else if (done) {
    text = fromCache ? `${formatBytes(loadedBytes)} · from cache` : `${formatBytes(loadedBytes)} · done`;
  } else {
    const total = totalBytes === null ? '' : ` / ${formatBytes(totalBytes)}`;
    text = `${formatBytes(loadedBytes)}${total}${percent ? ` · ${percent}` : ''}`;
  }
  return (
    <li className={`stage ${done ? 'stage-done' : 'stage-active'}`} data-testid={`progress-${stage}`}>
      <span className="stage-label">{label}</span> <span className="stage-text">{text}</span>
      {!done && stage !== 'runtime' && (
        <progress
          value={totalBytes !== null && totalBytes > 0 ? Math.min(loadedBytes, totalBytes) : undefined}
          max={totalBytes !== null && totalBytes > 0 ? totalBytes : undefined}
          aria-label={`${label} download`}
        />
      )}
    </li>
  );
}
