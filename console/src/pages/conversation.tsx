import type { WatchedMessage } from '@conversation-log/client';
import { useCallback, useMemo, useState } from 'preact/hooks';
import { useConversation } from '../conversation-data';
import { ProblemView } from '../problem';
import { href } from '../router';
import { VirtualList } from '../virtual-list';
import { MessageRow } from './message-row';

/** Height of a one-line message before it is measured. */
const ESTIMATED_ROW_PX = 76;

const keyOf = (message: WatchedMessage) => message.id;

/** One conversation, like a chat: in sequence order, replies growing as they stream in. */
export function ConversationPage({ projectId }: { projectId: string }) {
  const conversation = useConversation(projectId);
  const [details, setDetails] = useState(false);
  const [reveal, setReveal] = useState<{ key: string }>();
  const sequences = useMemo(
    () => new Map(conversation.messages.map((message) => [message.id, message.sequence])),
    [conversation.messages],
  );
  const renderItem = useCallback(
    (message: WatchedMessage) => (
      <MessageRow
        message={message}
        details={details}
        replySequence={message.replyTo ? sequences.get(message.replyTo) : undefined}
        onReveal={(id) => setReveal({ key: id })}
      />
    ),
    [details, sequences],
  );

  if (conversation.error !== undefined) return <ProblemView error={conversation.error} />;
  return (
    <section class="conversation" aria-labelledby="conversation-title">
      <div class="page-head">
        <h1 id="conversation-title">{projectId}</h1>
        <a href={href.events(projectId)}>Event log</a>
        <label class="toggle">
          <input
            type="checkbox"
            checked={details}
            onChange={(event) => setDetails(event.currentTarget.checked)}
          />
          Show sequence, revision and events
        </label>
      </div>
      <p class="hint" aria-live="polite">
        {conversation.messages.length} messages loaded
        {conversation.loadingOlder
          ? '; loading older…'
          : conversation.hasOlder
            ? '; scroll up for older ones'
            : '; from the beginning'}
      </p>
      <VirtualList
        items={conversation.messages}
        keyOf={keyOf}
        renderItem={renderItem}
        estimatedHeight={ESTIMATED_ROW_PX}
        label={`Messages of ${projectId}`}
        onNearTop={conversation.loadOlder}
        reveal={reveal}
      />
    </section>
  );
}
