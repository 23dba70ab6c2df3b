import type { LoadStage } from '../../workers/searchApi';
import type { LoadProgressState } from '../loading/loadProgressState';
import { StageProgress } from './StageProgress';

// The manifest is tiny and not worth a line; the rest are what a person waits for.
const SHOWN: LoadStage[] = ['index', 'catalog', 'model', 'runtime'];

interface LoadProgressListProps {
  progress: LoadProgressState;
}

export function LoadProgressList({ progress }: LoadProgressListProps) {
  const shown = SHOWN.flatMap((stage) => {
    const p = progress[stage];
    return p ? [p] : [];
  });
  return (
    <ul className="load-progress" aria-label="Downloads" aria-live="polite" data-testid="load-progress">
      {shown.map((p) => (
        <StageProgress key={p.stage} progress={p} />
      ))}
    </ul>
  );
}
