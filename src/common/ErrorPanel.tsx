import type { ReactNode } from 'react';

interface ErrorPanelProps {
  title: string;
  message: string;
  testId?: string;
  /** A way forward: retry, go home, choose another file. */
  children?: ReactNode;
}

/** A failure the person can read and act on, in place of the content that could not be shown. */
export function ErrorPanel({ title, message, testId, children }: ErrorPanelProps) {
  return (
    <section className="error-panel" role="alert" data-testid={testId}>
      <h2>{title}</h2>
      <p className="error-message">{message}</p>
      {children && <div className="error-actions">{children}</div>}
    </section>
  );
}
