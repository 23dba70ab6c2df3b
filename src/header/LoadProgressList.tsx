import { useState } from 'react';
import type { LoadProgress, LoadStage } from '../../workers/searchApi';
import { STAGE_LABELS, type LoadProgressState } from '../loading/loadProgressState';
import { StageProgress } from './StageProgress';

// The manifest is tiny and not worth a line; the rest are what a person waits for.
const SHOWN: LoadStage[] = ['index', 'catalog', 'model', 'runtime'];

interface LoadProgressListProps {
  progress: LoadProgressState;
}

/** What a screen reader hears when a download ends. */
function doneText({ stage, fromCache }: LoadProgress): string {
  if (stage === 'runtime') return 'Model ready';
  return `${STAGE_LABELS[stage]} ${fromCache ? 'loaded from cache' : 'downloaded'}`;
}

export function LoadProgressList({ progress }: LoadProgressListProps) {
  const shown = SHOWN.flatMap((stage) => {
    const p = progress[stage];
    return p ? [p] : [];
  });
  // The list's numbers change every 100 ms, too often to be read out: only the stages that have just
  // finished are announced, once (state adjusted while rendering, as React advises for derived changes).
  const done = shown.filter((p) => p.done);
  const doneKey = done.map((p) => p.stage).join(' ');
  const [announced, setAnnounced] = useState({ doneKey: '', text: '' });
  if (announced.doneKey !== doneKey) {
    const before = announced.doneKey.split(' ');
    const finished = done.filter((p) => !before.includes(p.stage));
    setAnnounced({ doneKey, text: finished.map(doneText).join(', ') });
  }
  return (
    <>
      <ul className="load-progress" aria-label="Downloads" data-testid="load-progress">
        {shown.map((p) => (
          <StageProgress key={p.stage} progress={p} />
        ))}
      </ul>
      <p className="visually-hidden" role="status" data-testid="load-announcement">
        {announced.text}
      </p>
    </>
  );
}
