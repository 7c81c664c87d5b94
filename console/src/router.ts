import { useEffect, useState } from 'preact/hooks';

/** The console's pages, addressed by the URL's fragment: deep links need nothing from the server. */
export type Route =
  | { page: 'projects' }
  | { page: 'conversation'; projectId: string }
  | { page: 'events'; projectId: string; fromRevision: number }
  | { page: 'projections' }
  | { page: 'not-found'; path: string };

export function parseRoute(hash: string): Route {
  const [path = '', query = ''] = hash.replace(/^#/, '').split('?');
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  const params = new URLSearchParams(query);
  if (parts.length === 0 || (parts.length === 1 && parts[0] === 'projects')) return { page: 'projects' };
  if (parts.length === 1 && parts[0] === 'projections') return { page: 'projections' };
  if (parts[0] === 'projects' && parts[1] !== undefined) {
    if (parts.length === 2) return { page: 'conversation', projectId: parts[1] };
    if (parts.length === 3 && parts[2] === 'events') {
      const from = Number(params.get('from') ?? 0);
      return {
        page: 'events',
        projectId: parts[1],
        fromRevision: Number.isInteger(from) && from > 0 ? from : 0,
      };
    }
  }
  return { page: 'not-found', path };
}

export const href = {
  projects: () => '#/projects',
  conversation: (projectId: string) => `#/projects/${encodeURIComponent(projectId)}`,
  events: (projectId: string, from = 0) =>
    `#/projects/${encodeURIComponent(projectId)}/events${from > 0 ? `?from=${from}` : ''}`,
  projections: () => '#/projections',
};

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const update = () => setRoute(parseRoute(location.hash));
    window.addEventListener('hashchange', update);
    return () => window.removeEventListener('hashchange', update);
  }, []);
  return route;
}
