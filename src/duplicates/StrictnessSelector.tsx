import type { Ref } from 'react';
import { LabelledSelect } from '../common/LabelledSelect';
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
  ref?: Ref<HTMLSelectElement>;
}

const countFormat = new Intl.NumberFormat();

/** How close images must be to group, by the collection's calibrated thresholds; kept in the URL. */
export function StrictnessSelector({ strictness, counts, onChange, ref }: StrictnessSelectorProps) {
  const choices = DUPLICATE_STRICTNESS.map((s) => ({
    value: s,
    text: `${TEXT[s]} (${countFormat.format(counts[s])} ${counts[s] === 1 ? 'group' : 'groups'})`,
  }));
  return (
    <LabelledSelect
      label="Strictness"
      value={strictness}
      choices={choices}
      onChange={onChange}
      testId="strictness-select"
      ref={ref}
    />
  );
}

/** How a strictness reads in a sentence. */
export function strictnessText(strictness: DuplicateStrictness): string {
  return TEXT[strictness].toLowerCase();
}
