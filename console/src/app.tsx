import { useEffect, useState } from 'preact/hooks';
import { onTokenChange } from './api';
import { ConversationPage } from './pages/conversation';
import { EventsPage } from './pages/events';
import { ProjectionsPage } from './pages/projections';
import { ProjectsPage } from './pages/projects';
import { ErrorBoundary } from './problem';
import { href, type Route, useRoute } from './router';
import { ThemeToggle } from './theme';
import { TokenStatus } from './token';

export function App() {
  const route = useRoute();
  // A new token starts every page afresh, so each reads again with it.
  const [tokenVersion, setTokenVersion] = useState(0);
  useEffect(() => onTokenChange(() => setTokenVersion((n) => n + 1)), []);
  useEffect(() => {
    document.title = `${titleOf(route)} · conversation-log console`;
  }, [route]);
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <span class="brand">conversation-log</span>
        <nav aria-label="Console">
          <a href={href.projects()} aria-current={route.page === 'projects' ? 'page' : undefined}>
            Conversations
          </a>
          <a href={href.projections()} aria-current={route.page === 'projections' ? 'page' : undefined}>
            Projections
          </a>
        </nav>
        <span class="spacer" />
        <TokenStatus key={tokenVersion} />
        <ThemeToggle />
      </header>
      <main id="main" tabIndex={-1}>
        <ErrorBoundary key={`${location.hash}:${tokenVersion}`}>
          <Page route={route} key={tokenVersion} />
        </ErrorBoundary>
      </main>
    </>
  );
}

function Page({ route }: { route: Route }) {
  switch (route.page) {
    case 'projects':
      return <ProjectsPage />;
    case 'conversation':
      return <ConversationPage key={route.projectId} projectId={route.projectId} />;
    case 'events':
      return (
        <EventsPage key={route.projectId} projectId={route.projectId} fromRevision={route.fromRevision} />
      );
    case 'projections':
      return <ProjectionsPage />;
    case 'not-found':
      return (
        <section class="problem" role="alert">
          <h2>Not found</h2>
          <p>
            The console has no page at “{route.path}”. <a href={href.projects()}>See the conversations.</a>
          </p>
        </section>
      );
  }
}

function titleOf(route: Route): string {
  switch (route.page) {
    case 'projects':
      return 'Conversations';
    case 'conversation':
      return route.projectId;
    case 'events':
      return `Events of ${route.projectId}`;
    case 'projections':
      return 'Projections';
    case 'not-found':
      return 'Not found';
  }
}
