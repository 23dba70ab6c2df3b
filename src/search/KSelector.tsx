import { useId } from 'react';
import { MAX_K, MIN_K } from '../routing/route';

interface KSelectorProps {
  k: number;
  onChange: (k: number) => void;
}

const CHOICES = Array.from({ length: MAX_K - MIN_K + 1 }, (_, i) => MIN_K + i);

/** How many similar images to show (1–10); the value lives in the URL so links keep it. */
export function KSelector({ k, onChange }: KSelectorProps) {
  const id = useId();
  return (
    <div className="k-selector">
      <label htmlFor={id}>Similar images</label>
      <select
        id={id}
        value={k}
        onChange={(e) => onChange(Number(e.currentTarget.value))}
        data-testid="k-select"
      >
        {CHOICES.map((n) => (
          <option key={n} value={n}>
            {n}
          </option>
        ))}
      </select>
    </div>
  );
}
