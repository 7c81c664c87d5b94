import type { ProjectionStatus, RebuildRequested } from '@conversation-log/client';
import { useEffect, useRef, useState } from 'preact/hooks';
import { client } from '../api';
import { type Sample, SampleChart } from '../chart';
import { formatTime } from '../format';
import { ProblemView } from '../problem';

const POLL_MS = 1000;
/** While a rebuild runs its progress moves fast: polled more often then. */
const REBUILD_POLL_MS = 200;
/** How far back the chart looks; samples older than this are dropped. */
const WINDOW_MS = 5 * 60_000;

/** Status of every projection, polled, with a chart of the last minutes and a rebuild button. */
export function ProjectionsPage() {
  const [projections, setProjections] = useState<ProjectionStatus[]>();
  const [error, setError] = useState<unknown>();
  const samples = useRef(new Map<string, Sample[]>());
  const [requested, setRequested] = useState<RebuildRequested>();
  const rebuilding = useRef(false);

  useEffect(() => {
    const abort = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = async () => {
      try {
        const statuses = await client.projections(abort.signal);
        statuses.forEach((status) => record(samples.current, status, Date.now()));
        setProjections(statuses);
        setError(undefined);
        rebuilding.current = statuses.some((status) => status.rebuild !== null);
      } catch (failure) {
        if (!abort.signal.aborted) setError(failure);
      }
      const delay = rebuilding.current ? REBUILD_POLL_MS : POLL_MS;
      if (!abort.signal.aborted) timer = setTimeout(() => void poll(), delay);
    };
    void poll();
    return () => {
      abort.abort();
      clearTimeout(timer);
    };
  }, []);

  if (error !== undefined) return <ProblemView error={error} />;
  if (!projections) return <p aria-live="polite">Loading…</p>;
  return (
    <section aria-labelledby="projections-title">
      <h1 id="projections-title">Projections</h1>
      {projections.map((projection) => (
        <ProjectionCard
          key={projection.name}
          projection={projection}
          samples={samples.current.get(projection.name) ?? []}
          requested={requested?.name === projection.name ? requested : undefined}
          onRebuild={(answer) => {
            rebuilding.current = true;
            setRequested(answer);
          }}
          onError={setError}
        />
      ))}
    </section>
  );
}

/**
 * Adds a sample; events/s is what the projector applied since the sample before (to the generation
 * served and to a rebuild under way), per second. A switch-over starts the served count again: that
 * sample has no rate.
 */
function record(samples: Map<string, Sample[]>, status: ProjectionStatus, at: number): void {
  const list = samples.get(status.name) ?? [];
  const previous = list.at(-1);
  const applied = status.eventsApplied + (status.rebuild?.eventsApplied ?? 0);
  const progressed = previous !== undefined && applied >= previous.applied && at > previous.at;
  const rate = progressed ? ((applied - previous.applied) * 1000) / (at - previous.at) : null;
  const recent = list.filter((old) => at - old.at <= WINDOW_MS);
  samples.set(status.name, [...recent, { at, lag: status.lag, applied, rate }]);
}

interface CardProps {
  projection: ProjectionStatus;
  samples: Sample[];
  requested: RebuildRequested | undefined;
  onRebuild(requested: RebuildRequested): void;
  onError(error: unknown): void;
}

function ProjectionCard({ projection, samples, requested, onRebuild, onError }: CardProps) {
  const dialog = useRef<HTMLDialogElement>(null);
  const rebuild = projection.rebuild;
  const titleId = `projection-${projection.name}`;
  const confirm = async () => {
    dialog.current?.close();
    try {
      onRebuild(await client.rebuildProjection(projection.name));
    } catch (failure) {
      onError(failure);
    }
  };
  return (
    <article class="card" aria-labelledby={titleId}>
      <h2 id={titleId}>{projection.name}</h2>
      <dl class="facts">
        <dt>Status</dt>
        <dd class={`status-${projection.status}`} data-testid="status">
          {projection.status}
        </dd>
        <dt>Generation</dt>
        <dd data-testid="generation">{projection.generation ?? '—'}</dd>
        <dt>Version</dt>
        <dd>{projection.version}</dd>
        <dt>Checkpoint</dt>
        <dd class="mono">{projection.position ?? '—'}</dd>
        <dt>Lag</dt>
        <dd data-testid="lag">{projection.lag} events</dd>
        <dt>Updated</dt>
        <dd>{formatTime(projection.updatedAt)}</dd>
        {projection.lastError ? (
          <>
            <dt>Last error</dt>
            <dd class="error-text">{projection.lastError}</dd>
          </>
        ) : null}
      </dl>
      <SampleChart samples={samples} windowMs={WINDOW_MS} name={projection.name} />
      {rebuild ? (
        <div class="rebuild" role="status">
          <label for={`${titleId}-progress`}>
            Rebuilding generation {rebuild.generation}: {rebuild.eventsApplied} events applied, {rebuild.lag}{' '}
            to go
          </label>
          <progress
            id={`${titleId}-progress`}
            max={rebuild.eventsApplied + rebuild.lag || 1}
            value={rebuild.eventsApplied}
          />
        </div>
      ) : requested && projection.generation === requested.generation ? (
        <p role="status" data-testid="rebuilt">
          Rebuilt: queries are served from generation {requested.generation}.
        </p>
      ) : requested ? (
        <p role="status">Rebuild of generation {requested.generation} requested…</p>
      ) : null}
      <button type="button" disabled={rebuild !== null} onClick={() => dialog.current?.showModal()}>
        Rebuild…
      </button>
      <dialog ref={dialog} aria-labelledby={`${titleId}-confirm`}>
        <h3 id={`${titleId}-confirm`}>Rebuild {projection.name}?</h3>
        <p>
          The read model is built again from the whole event log into a new generation. Queries keep being
          answered from generation {projection.generation ?? '—'} until it is done.
        </p>
        <div class="actions">
          <button type="button" onClick={() => dialog.current?.close()}>
            Cancel
          </button>
          <button type="button" class="primary" onClick={() => void confirm()}>
            Rebuild
          </button>
        </div>
      </dialog>
    </article>
  );
}
