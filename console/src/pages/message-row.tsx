import type { LogEvent, WatchedMessage } from '@conversation-log/client';
import { useState } from 'preact/hooks';
import { client } from '../api';
import { formatJson, formatTime, isEmptyObject } from '../format';
import { ProblemView } from '../problem';

interface MessageRowProps {
  message: WatchedMessage;
  /** Show the sequence, the revision and the events behind the message. */
  details: boolean;
  /** The sequence of the message `replyTo` names, when it is loaded. */
  replySequence: number | undefined;
  onReveal(id: string): void;
}

export function MessageRow({ message, details, replySequence, onReveal }: MessageRowProps) {
  return (
    <article
      class={`message ${message.role} status-${message.status}`}
      aria-label={`${message.role} message, sequence ${message.sequence}`}
      data-sequence={message.sequence}
    >
      <header class="message-head">
        <span class="role">{message.role}</span>
        {message.status !== 'success' ? (
          <span class={`badge ${message.status}`}>{message.status}</span>
        ) : null}
        {message.kind !== 'message' ? <span class="badge">{message.kind}</span> : null}
        {message.replyTo ? (
          <button type="button" class="link" onClick={() => onReveal(message.replyTo!)}>
            in reply to {replySequence === undefined ? message.replyTo.slice(0, 8) : `#${replySequence}`}
          </button>
        ) : null}
        <time dateTime={message.createdAt}>{formatTime(message.createdAt)}</time>
        {details ? (
          <span class="numbers">
            seq {message.sequence} · rev {message.revision}
          </span>
        ) : null}
      </header>
      <div class="content">{message.content}</div>
      {message.imageUrls.length > 0 ? (
        <ul class="images">
          {message.imageUrls.map((url) => (
            <li key={url}>
              <a href={url} rel="noreferrer noopener" target="_blank">
                {url}
              </a>
            </li>
          ))}
        </ul>
      ) : null}
      {isEmptyObject(message.metadata) ? null : (
        <details>
          <summary>Metadata</summary>
          <pre>{formatJson(message.metadata)}</pre>
        </details>
      )}
      {details ? <MessageEvents message={message} /> : null}
    </article>
  );
}

/**
 * The events behind a message: they lie between the revision that created it (its sequence) and
 * its latest revision, so one read of that stretch of the log finds them all.
 */
function MessageEvents({ message }: { message: WatchedMessage }) {
  const [events, setEvents] = useState<LogEvent[]>();
  const [error, setError] = useState<unknown>();
  const load = async () => {
    try {
      const span = Math.min(1000, message.revision - message.sequence + 1);
      const page = await client.eventPage(message.projectId, { fromRevision: message.sequence, limit: span });
      setEvents(page.data.filter((event) => event.data.messageId === message.id));
    } catch (failure) {
      setError(failure);
    }
  };
  if (error !== undefined) return <ProblemView error={error} />;
  if (!events)
    return (
      <button type="button" class="link" onClick={() => void load()} disabled={message.revision < 0}>
        Show the events behind it
      </button>
    );
  return (
    <ol class="message-events">
      {events.map((event) => (
        <li key={event.revision}>
          <strong>{event.type}</strong> at revision {event.revision}
          <pre>{formatJson(event.data)}</pre>
        </li>
      ))}
    </ol>
  );
}
