import { Component, type ReactNode } from 'react';
import { errorMessage } from '../../core/errorMessage';
import { ErrorPanel } from './ErrorPanel';

interface RenderFailureProps {
  children: ReactNode;
}

/**
 * What the page shows when rendering throws: without it React unmounts the whole app and leaves a blank
 * page with no word of why (seen with a catalog name that is not well-formed text).
 */
export class RenderFailure extends Component<RenderFailureProps, { error: unknown }> {
  override state: { error: unknown } = { error: null };

  static getDerivedStateFromError(error: unknown): { error: unknown } {
    return { error };
  }

  override render(): ReactNode {
    if (this.state.error === null) return this.props.children;
    return (
      <main id="main" tabIndex={-1}>
        <ErrorPanel
          title="This page could not be shown"
          message={errorMessage(this.state.error)}
          testId="render-failed"
          headingLevel={1}
        >
          <button type="button" className="button" onClick={() => location.reload()}>
            Reload
          </button>
          <a className="button" href="#/" onClick={() => this.setState({ error: null })}>
            Home
          </a>
        </ErrorPanel>
      </main>
    );
  }
}
