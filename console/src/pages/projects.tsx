import type { ProjectSummary } from '@conversation-log/client';
import { useEffect, useState } from 'preact/hooks';
import { client } from '../api';
import { formatTime } from '../format';
import { ProblemView } from '../problem';
import { href } from '../router';

const PAGE_SIZE = 50;

/**
 * The conversations the token may see, a page at a time. The API lists but does not search, so
 * the search box filters the pages loaded; Enter opens the id typed, loaded or not.
 */
export function ProjectsPage() {
  const [projects, setProjects] = useState<ProjectSummary[]>([]);
  const [cursor, setCursor] = useState<string | null | undefined>(undefined);
  const [error, setError] = useState<unknown>();
  const [loading, setLoading] = useState(false);
  const [search, setSearch] = useState('');

  const loadMore = async (from?: string) => {
    setLoading(true);
    try {
      const page = await client.projects({ limit: PAGE_SIZE, cursor: from });
      setProjects((loaded) => [...loaded, ...page.data]);
      setCursor(page.nextCursor);
    } catch (failure) {
      setError(failure);
    } finally {
      setLoading(false);
    }
  };
  useEffect(() => void loadMore(), []);

  if (error !== undefined) return <ProblemView error={error} />;
  const term = search.trim().toLowerCase();
  const shown = term
    ? projects.filter((project) => project.projectId.toLowerCase().includes(term))
    : projects;
  return (
    <section aria-labelledby="projects-title">
      <h1 id="projects-title">Conversations</h1>
      <form
        class="search"
        role="search"
        onSubmit={(event) => {
          event.preventDefault();
          if (search.trim()) location.hash = href.conversation(search.trim());
        }}
      >
        <label for="project-search">Find a project by id</label>
        <input
          id="project-search"
          type="search"
          value={search}
          onInput={(event) => setSearch(event.currentTarget.value)}
          aria-describedby="project-search-hint"
        />
        <button type="submit">Open</button>
        <p id="project-search-hint" class="hint">
          Filters the {projects.length} projects loaded; Open (or Enter) goes to the id typed.
        </p>
      </form>
      <table class="grid">
        <caption class="visually-hidden">Projects, most recently active first</caption>
        <thead>
          <tr>
            <th scope="col">Project</th>
            <th scope="col">Messages</th>
            <th scope="col">Revision</th>
            <th scope="col">Last message</th>
            <th scope="col">Event log</th>
          </tr>
        </thead>
        <tbody>
          {shown.map((project) => (
            <tr key={project.projectId}>
              <td>
                <a href={href.conversation(project.projectId)}>{project.projectId}</a>
              </td>
              <td class="number">{project.messageCount}</td>
              <td class="number">{project.revision}</td>
              <td>{formatTime(project.lastMessageAt)}</td>
              <td>
                <a href={href.events(project.projectId)} aria-label={`Events of ${project.projectId}`}>
                  Events
                </a>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {shown.length === 0 && !loading ? <p>No project {term ? 'matches' : 'yet'}.</p> : null}
      {cursor ? (
        <button type="button" disabled={loading} onClick={() => void loadMore(cursor)}>
          Load more projects
        </button>
      ) : null}
      {loading ? <p aria-live="polite">Loading…</p> : null}
    </section>
  );
}
