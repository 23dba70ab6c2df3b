import { useId } from 'react';
import type { SimilarityLabel } from '../../core/calibration';
import { CUT_OFF_CHOICES } from './cutOff';

interface CutOffSelectorProps {
  cutOff: SimilarityLabel;
  onChange: (cutOff: SimilarityLabel) => void;
}

/** Which results to show by how similar this collection's calibration says they are; kept in the URL. */
export function CutOffSelector({ cutOff, onChange }: CutOffSelectorProps) {
  const id = useId();
  return (
    <div className="k-selector">
      <label htmlFor={id}>Show</label>
      <select
        id={id}
        value={cutOff}
        onChange={(e) => onChange(e.currentTarget.value as SimilarityLabel)}
        data-testid="cut-off-select"
      >
        {CUT_OFF_CHOICES.map((c) => (
          <option key={c.value} value={c.value}>
            {c.text}
          </option>
        ))}
      </select>
    </div>
  );
}
