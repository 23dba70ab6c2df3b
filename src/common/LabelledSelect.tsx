import { useId, type Ref } from 'react';

export interface SelectChoice<T extends string | number> {
  value: T;
  text: string;
}

interface LabelledSelectProps<T extends string | number> {
  label: string;
  value: T;
  choices: readonly SelectChoice<T>[];
  onChange: (value: T) => void;
  testId: string;
  /** The select itself, for a page that moves focus to it. */
  ref?: Ref<HTMLSelectElement>;
}

/**
 * A labelled drop-down of fixed choices: k, the results cut-off and the duplicates strictness all
 * look and behave alike. The chosen value is mapped back to its choice, so the caller never sees a
 * string it did not offer.
 */
export function LabelledSelect<T extends string | number>({
  label,
  value,
  choices,
  onChange,
  testId,
  ref,
}: LabelledSelectProps<T>) {
  const id = useId();
  return (
    <div className="labelled-select">
      <label htmlFor={id}>{label}</label>
      <select
        ref={ref}
        id={id}
        value={String(value)}
        onChange={(e) => {
          const picked = choices.find((c) => String(c.value) === e.currentTarget.value);
          if (picked) onChange(picked.value);
        }}
        data-testid={testId}
      >
        {choices.map((c) => (
          <option key={String(c.value)} value={String(c.value)}>
            {c.text}
          </option>
        ))}
      </select>
    </div>
  );
}
