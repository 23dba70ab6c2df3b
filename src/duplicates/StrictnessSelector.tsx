import { useId } from 'react';
import type { DuplicateStrictness } from '../../workers/searchApi';
import { DUPLICATE_STRICTNESS } from '../../core/duplicatesFormat';

const TEXT: Record<DuplicateStrictness, string> = {
  'near-identical': 'Near-identical',
  'very-similar': 'Very similar',
  similar: 'Similar',
};

interface StrictnessSelectorProps {
  strictness: DuplicateStrictness;
  /** Groups per strictness (LoadInfo.duplicates), shown next to each choice. */
  counts: Record<DuplicateStrictness, number>;
  onChange: (strictness: DuplicateStrictness) => void;
}

const countFormat = new Intl.NumberFormat();

/** How close images must be to group, by the collection's calibrated thresholds; kept in the URL. */
export function StrictnessSelector({ strictness, counts, onChange }: StrictnessSelectorProps) {
  const id = useId();
  return (
    <div className="k-selector">
      <label htmlFor={id}>Strictness</label>
      <select
        id={id}
        value={strictness}
        onChange={(e) => onChange(e.currentTarget.value as DuplicateStrictness)}
        data-testid="strictness-select"
      >
        {DUPLICATE_STRICTNESS.map((s) => (
          <option key={s} value={s}>
            {TEXT[s]} ({countFormat.format(counts[s])} {counts[s] === 1 ? 'group' : 'groups'})
          </option>
        ))}
      </select>
    </div>
  );
}

/** How a strictness reads in a sentence. */
export function strictnessText(strictness: DuplicateStrictness): string {
  return TEXT[strictness].toLowerCase();
}
