/**
 * Each project is one event stream, `conversation-{projectId}`: its revision is the message
 * sequence. The one place that turns a project id into its stream name and back.
 */
export const CONVERSATION_STREAM_PREFIX = 'conversation-';

export function streamNameOf(projectId: string): string {
  return `${CONVERSATION_STREAM_PREFIX}${projectId}`;
}

/** The project a stream belongs to, or undefined for a stream that is not a conversation. */
export function projectIdOf(streamName: string): string | undefined {
  return streamName.startsWith(CONVERSATION_STREAM_PREFIX)
    ? streamName.slice(CONVERSATION_STREAM_PREFIX.length)
    : undefined;
}
