interface DismissibleAlertProps {
  message: string;
  onDismiss: () => void;
  testId: string;
}

/** A problem with something the person just did; the page under it keeps working. */
export function DismissibleAlert({ message, onDismiss, testId }: DismissibleAlertProps) {
  return (
    <div className="alert" role="alert" data-testid={testId}>
      <p>{message}</p>
      <button type="button" className="button button-quiet" onClick={onDismiss} aria-label="Dismiss">
        ✕
      </button>
    </div>
  );
}
