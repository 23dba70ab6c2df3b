import { LabelledSelect } from '../common/LabelledSelect';
import { MAX_K, MIN_K } from '../routing/route';

interface KSelectorProps {
  k: number;
  onChange: (k: number) => void;
}

const CHOICES = Array.from({ length: MAX_K - MIN_K + 1 }, (_, i) => ({
  value: MIN_K + i,
  text: String(MIN_K + i),
}));

/** How many similar images to show (1–10); the value lives in the URL so links keep it. */
export function KSelector({ k, onChange }: KSelectorProps) {
  return (
    <LabelledSelect
      label="Similar images"
      value={k}
      choices={CHOICES}
      onChange={onChange}
      testId="k-select"
    />
  );
}
