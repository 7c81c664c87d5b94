import type { LogEvent } from '@conversation-log/client';
import { useEffect, useRef, useState } from 'preact/hooks';
import { client } from '../api';
import { formatJson, formatTime } from '../format';
import { ProblemView } from '../problem';
import { href } from '../router';

const PAGE_SIZE = 50;
/** Events kept on screen while tailing: the oldest leave as new ones come. */
const TAIL_KEEP = 500;

interface Page {
  events: LogEvent[];
  nextRevision: number | null;
}

/** A project's raw event log, a page at a time from `fromRevision`, or tailed as it grows. */
export function EventsPage({ projectId, fromRevision }: { projectId: string; fromRevision: number }) {
  const [page, setPage] = useState<Page>();
  const [error, setError] = useState<unknown>();
  const [tailing, setTailing] = useState(false);

  useEffect(() => {
    if (tailing) return;
    const abort = new AbortController();
    client
      .eventPage(projectId, { fromRevision, limit: PAGE_SIZE, signal: abort.signal })
      .then((answer) => setPage({ events: answer.data, nextRevision: answer.nextRevision }), setError);
    return () => abort.abort();
  }, [projectId, fromRevision, tailing]);

  if (error !== undefined) return <ProblemView error={error} />;
  return (
    <section aria-labelledby="events-title">
      <div class="page-head">
        <h1 id="events-title">Event log of {projectId}</h1>
        <a href={href.conversation(projectId)}>Conversation</a>
        <label class="toggle">
          <input
            type="checkbox"
            checked={tailing}
            onChange={(event) => setTailing(event.currentTarget.checked)}
          />
          Live tail
        </label>
      </div>
      {tailing ? (
        <Tail projectId={projectId} from={fromRevision} onError={setError} />
      ) : (
        <>
          <nav class="pager" aria-label="Event pages">
            <a
              href={href.events(projectId, Math.max(0, fromRevision - PAGE_SIZE))}
              aria-disabled={fromRevision === 0}
              class={fromRevision === 0 ? 'disabled' : undefined}
            >
              Previous page
            </a>
            <span>
              from revision {fromRevision}
              {page ? ` · ${page.events.length} events` : ''}
            </span>
            {page?.nextRevision != null ? (
              <a href={href.events(projectId, page.nextRevision)}>Next page</a>
            ) : (
              <span class="disabled">End of the log</span>
            )}
          </nav>
          {page ? <EventTable events={page.events} /> : <p aria-live="polite">Loading…</p>}
        </>
      )}
    </section>
  );
}

/**
 * Reads the log from `from` to its end, then again whenever the project's live stream says it
 * changed: the live stream carries message changes, the log carries the events themselves.
 */
function Tail({
  projectId,
  from,
  onError,
}: {
  projectId: string;
  from: number;
  onError(error: unknown): void;
}) {
  const [events, setEvents] = useState<LogEvent[]>([]);
  const next = useRef(from);
  const bottom = useRef<HTMLDivElement>(null);

  useEffect(() => {
    const abort = new AbortController();
    let reading: Promise<void> = Promise.resolve();
    const readToEnd = async () => {
      for (;;) {
        const page = await client.eventPage(projectId, {
          fromRevision: next.current,
          limit: 1000,
          signal: abort.signal,
        });
        if (page.data.length > 0) {
          next.current = page.data.at(-1)!.revision + 1;
          setEvents((shown) => [...shown, ...page.data].slice(-TAIL_KEEP));
        }
        if (page.nextRevision === null) return;
      }
    };
    const fail = (error: unknown) => {
      if (!abort.signal.aborted) onError(error);
    };
    const catchUp = () => {
      reading = reading.then(readToEnd).catch(fail);
    };
    catchUp();
    void (async () => {
      for await (const change of client.live(projectId, { signal: abort.signal })) {
        if (change.type === 'project.erased') return;
        catchUp();
      }
    })().catch(fail);
    return () => abort.abort();
  }, [projectId]);

  useEffect(() => bottom.current?.scrollIntoView({ block: 'end' }), [events]);
  return (
    <>
      <p class="hint" aria-live="polite">
        Tailing: {events.length} events shown, up to revision {next.current - 1}.
      </p>
      <EventTable events={events} />
      <div ref={bottom} />
    </>
  );
}

function EventTable({ events }: { events: LogEvent[] }) {
  return (
    <table class="grid events">
      <caption class="visually-hidden">Events in revision order</caption>
      <thead>
        <tr>
          <th scope="col">Revision</th>
          <th scope="col">Type</th>
          <th scope="col">Time</th>
          <th scope="col">Position</th>
          <th scope="col">Data</th>
          <th scope="col">Metadata</th>
        </tr>
      </thead>
      <tbody>
        {events.map((event) => (
          <tr key={event.revision} data-revision={event.revision}>
            <td class="number">{event.revision}</td>
            <td>{event.type}</td>
            <td>
              <time dateTime={event.createdAt}>{formatTime(event.createdAt)}</time>
            </td>
            <td class="mono">{event.position}</td>
            <td>
              <pre>{formatJson(event.data)}</pre>
            </td>
            <td>
              <pre>{formatJson(event.metadata)}</pre>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
