import { ProblemError } from '@conversation-log/client';
import { Component, type ComponentChildren } from 'preact';
import { TokenForm } from './token';

/** Any failure as a problem: the service's own (title and detail), or one made of a network error. */
export function asProblem(error: unknown): { status?: number; title: string; detail: string } {
  if (error instanceof ProblemError)
    return { status: error.status, title: error.title, detail: error.detail };
  const detail = error instanceof Error ? error.message : String(error);
  return { title: 'The service could not be reached', detail };
}

/** A failure as the problem's title and detail; a 401 also asks for a token. */
export function ProblemView({ error }: { error: unknown }) {
  const problem = asProblem(error);
  return (
    <section class="problem" role="alert" aria-labelledby="problem-title">
      <h2 id="problem-title">
        {problem.status ? `${problem.status} ` : ''}
        {problem.title}
      </h2>
      <p>{problem.detail}</p>
      {problem.status === 401 ? <TokenForm /> : null}
    </section>
  );
}

/** A rendering failure shows what went wrong instead of a blank page. */
export class ErrorBoundary extends Component<{ children: ComponentChildren }, { error: unknown }> {
  override state = { error: undefined as unknown };

  static override getDerivedStateFromError(error: unknown) {
    return { error };
  }

  override render() {
    if (this.state.error === undefined) return this.props.children;
    return (
      <div>
        <ProblemView error={this.state.error} />
        <button type="button" onClick={() => this.setState({ error: undefined })}>
          Try again
        </button>
      </div>
    );
  }
}
