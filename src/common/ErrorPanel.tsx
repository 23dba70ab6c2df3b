import type { ReactNode } from 'react';

interface ErrorPanelProps {
  title: string;
  message: string;
  testId?: string;
  /** 1 where the failure is the whole page (its only heading), 2 (the default) for a part of one. */
  headingLevel?: 1 | 2;
  /** A way forward: retry, go home, choose another file. */
  children?: ReactNode;
}

/** A failure the person can read and act on, in place of the content that could not be shown. */
export function ErrorPanel({ title, message, testId, headingLevel = 2, children }: ErrorPanelProps) {
  const Heading = headingLevel === 1 ? 'h1' : 'h2';
  return (
    <section className="error-panel" role="alert" data-testid={testId}>
      <Heading>{title}</Heading>
      <p className="error-message">{message}</p>
      {children && <div className="error-actions">{children}</div>}
    </section>
  );
}
