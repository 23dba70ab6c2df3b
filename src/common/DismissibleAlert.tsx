import { useEffect, useRef } from 'react';

interface DismissibleAlertProps {
  message: string;
  onDismiss: () => void;
  testId: string;
  /** Where focus goes on dismissal if the element that had it when the alert appeared is gone. */
  fallbackFocusId: string;
}

/** A problem with something the person just did; the page under it keeps working. */
export function DismissibleAlert({ message, onDismiss, testId, fallbackFocusId }: DismissibleAlertProps) {
  // The alert does not take focus, so what has it as the alert appears is the control that caused it:
  // dismissing returns focus there instead of leaving it on the page's body with the removed button.
  const cause = useRef<Element | null>(null);
  useEffect(() => {
    cause.current = document.activeElement;
  }, []);
  const dismiss = () => {
    const back = cause.current;
    const target =
      back instanceof HTMLElement && back !== document.body && back.isConnected
        ? back
        : document.getElementById(fallbackFocusId);
    target?.focus();
    onDismiss();
  };
  return (
    <div className="alert" role="alert" data-testid={testId}>
      <p>{message}</p>
      <button type="button" className="button button-quiet" onClick={dismiss} aria-label="Dismiss">
        ✕
      </button>
    </div>
  );
}
